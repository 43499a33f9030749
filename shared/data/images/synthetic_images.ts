import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import * as yazl from 'yazl';
import { MloopError } from '../../core/errors';
import { seededRandom, type Random } from '../random';

/**
 * A small image dataset for the walkthrough and the tests: one shape or texture per class, drawn at a
 * random place, scale, angle and colour over a noisy background of a random colour. Colour says nothing
 * about the class, so a model has to learn shape; the noise and jitter keep it from being trivial.
 * Deterministic for a seed: the pixels come from the seeded generator and the encoders are deterministic.
 */
// new classes go at the end: a seed's images of the first classes stay the same bytes
export const SYNTHETIC_CLASSES = ['circle', 'square', 'triangle', 'cross', 'ring', 'stripes', 'checker', 'dots', 'bar', 'crescent'] as const;

export interface SyntheticImageOptions {
  classes?: number;
  perClass?: number;
  size?: number;
  seed?: number;
}

export interface SyntheticImage {
  /** <class>/<class>_<index>.png|jpg: even indices PNG, odd JPEG, so both decoders are exercised. */
  name: string;
  label: string;
  bytes: Buffer;
}

type Shape = (x: number, y: number, r: number) => boolean;

// x, y: pixel offset from the shape's centre, already rotated; r: its radius in pixels
const SHAPES: Record<(typeof SYNTHETIC_CLASSES)[number], Shape> = {
  circle: (x, y, r) => x * x + y * y < r * r,
  square: (x, y, r) => Math.max(Math.abs(x), Math.abs(y)) < r * 0.8,
  triangle: (x, y, r) => y < r * 0.7 && y > -r && Math.abs(x) < ((y + r) / 1.7) * 0.9,
  cross: (x, y, r) => (Math.abs(x) < r * 0.28 && Math.abs(y) < r) || (Math.abs(y) < r * 0.28 && Math.abs(x) < r),
  ring: (x, y, r) => {
    const d2 = x * x + y * y;
    return d2 < r * r && d2 > r * r * 0.36;
  },
  stripes: (x, _y, r) => Math.sin((x / r) * 9) > 0,
  checker: (x, y, r) => (Math.floor((x / r) * 3 + 100) + Math.floor((y / r) * 3 + 100)) % 2 === 0,
  dots: (x, y, r) => {
    const u = ((x / r) * 2.5 + 100) % 1;
    const v = ((y / r) * 2.5 + 100) % 1;
    return (u - 0.5) ** 2 + (v - 0.5) ** 2 < 0.09;
  },
  bar: (x, y, r) => Math.abs(y) < r * 0.3 && Math.abs(x) < r,
  crescent: (x, y, r) => x * x + y * y < r * r && (x - r * 0.45) ** 2 + y * y > r * r * 0.6,
};

const TEXTURES = new Set(['stripes', 'checker', 'dots']);

function colour(random: Random, light: boolean): [number, number, number] {
  const base = light ? 150 : 10;
  return [base + random.int(100), base + random.int(100), base + random.int(100)];
}

function draw(label: (typeof SYNTHETIC_CLASSES)[number], size: number, random: Random): Buffer {
  // foreground light on dark or dark on light, at random: brightness carries no class either
  const lightShape = random.next() < 0.5;
  const fg = colour(random, lightShape);
  const bg = colour(random, !lightShape);
  const texture = TEXTURES.has(label);
  const r = size * (texture ? 0.25 + random.next() * 0.15 : 0.22 + random.next() * 0.14);
  const margin = texture ? 0 : r;
  const cx = margin + random.next() * (size - 2 * margin);
  const cy = margin + random.next() * (size - 2 * margin);
  const angle = random.next() * Math.PI * 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const inside = SHAPES[label];
  const pixels = Buffer.alloc(size * size * 3);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const dx = px + 0.5 - cx;
      const dy = py + 0.5 - cy;
      const on = inside(dx * cos + dy * sin, -dx * sin + dy * cos, r);
      const c = on ? fg : bg;
      const o = (py * size + px) * 3;
      for (let k = 0; k < 3; k++) pixels[o + k] = Math.max(0, Math.min(255, Math.round(c[k] + random.normal() * 14)));
    }
  }
  return pixels;
}

export async function* syntheticImages(options: SyntheticImageOptions = {}): AsyncGenerator<SyntheticImage> {
  const classes = options.classes ?? 3;
  const perClass = options.perClass ?? 30;
  const size = options.size ?? 64;
  if (!Number.isInteger(classes) || classes < 2 || classes > SYNTHETIC_CLASSES.length) {
    throw new MloopError('invalid_argument', `--classes must be an integer from 2 to ${SYNTHETIC_CLASSES.length}`);
  }
  if (!Number.isInteger(perClass) || perClass < 1) throw new MloopError('invalid_argument', '--per-class must be a positive integer');
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new MloopError('invalid_argument', '--size must be an integer from 8 to 1024');
  const random = seededRandom(options.seed ?? 1);
  for (let i = 0; i < perClass; i++) {
    for (const label of SYNTHETIC_CLASSES.slice(0, classes)) {
      const raw = sharp(draw(label, size, random), { raw: { width: size, height: size, channels: 3 } });
      const png = i % 2 === 0;
      const bytes = png ? await raw.png().toBuffer() : await raw.jpeg({ quality: 90 }).toBuffer();
      yield { name: `${label}/${label}_${String(i).padStart(4, '0')}.${png ? 'png' : 'jpg'}`, label, bytes };
    }
  }
}

// A fixed date keeps the zip's bytes a function of the seed alone
const ZIP_MTIME = new Date(2024, 0, 1);

/** Writes the images under dir/<class>/, or into a zip when the path ends in .zip. Returns how many. */
export async function writeSyntheticImages(target: string, options: SyntheticImageOptions = {}): Promise<{ images: number; classes: string[] }> {
  const classes = new Set<string>();
  let images = 0;
  if (/\.zip$/i.test(target)) {
    await mkdir(path.dirname(path.resolve(target)), { recursive: true });
    const zip = new yazl.ZipFile();
    const written = pipeline(zip.outputStream, createWriteStream(target));
    for await (const image of syntheticImages(options)) {
      // images are compressed already: storing them spares the time of deflating them again
      zip.addBuffer(image.bytes, image.name, { mtime: ZIP_MTIME, compress: false });
      classes.add(image.label);
      images++;
    }
    zip.end();
    await written;
  } else {
    for await (const image of syntheticImages(options)) {
      const file = path.join(target, image.name);
      if (!classes.has(image.label)) await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, image.bytes);
      classes.add(image.label);
      images++;
    }
  }
  return { images, classes: [...classes] };
}
