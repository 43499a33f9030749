import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { seededRandom } from '../../../../shared/data/random';
import { decodePlainPng, MAX_PIXELS } from '../../../../shared/data/images/plain_png';
import { preprocessImage } from '../../../../shared/data/images/preprocess';
import type { ImageSpec } from '../../../../shared/data/images/image_spec';
import { pngChunk } from '../../../support/image_model';

/**
 * The calling-thread PNG decoder must answer exactly what sharp answers, or nothing: checked on noise
 * (every row filter appears), on flat images, on hand-made files split into several IDAT chunks, on the
 * kinds it must leave to sharp, and on damaged copies.
 */
const SIZE = 28;

function noise(channels: 1 | 3, seed: number, size = SIZE): Sharp {
  const random = seededRandom(seed);
  const pixels = Buffer.alloc(size * size * channels);
  // smooth gradients with noise on top, so that the encoder's adaptive filtering picks every filter type
  for (let i = 0; i < pixels.length; i++) pixels[i] = (Math.floor(i / channels) % size) * 7 + Math.floor(random.next() * (seed % 2 ? 255 : 12));
  return sharp(pixels, { raw: { width: size, height: size, channels } });
}

/** sharp's answer for the same bytes, through the pipeline preprocessImage uses for everything else. */
async function sharpPixels(bytes: Buffer, size = SIZE): Promise<Buffer> {
  const { data } = await sharp(bytes, { failOn: 'error', autoOrient: true })
    .toColourspace('srgb')
    .flatten({ background: '#000000' })
    .resize(size, size, { fit: 'fill' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return data;
}

/** The same pixels, re-chunked by hand: IDAT split in pieces, filter bytes chosen per row. */
function handMade(pixels: Buffer, channels: 1 | 3, filters: number[], idatPieces: number, size = SIZE): Buffer {
  const stride = size * channels;
  const filtered = Buffer.alloc((stride + 1) * size);
  for (let y = 0; y < size; y++) {
    const method = filters[y % filters.length];
    filtered[y * (stride + 1)] = method;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][method];
      filtered[y * (stride + 1) + 1 + x] = (pixels[y * stride + x] - predictor) & 0xff;
    }
  }
  const zipped = deflateSync(filtered);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 1 ? 0 : 2;
  const pieces: Buffer[] = [];
  const step = Math.ceil(zipped.length / idatPieces);
  for (let at = 0; at < zipped.length; at += step) pieces.push(pngChunk('IDAT', zipped.subarray(at, at + step)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('tEXt', Buffer.from('Comment\0made by hand')), ...pieces, pngChunk('IEND', Buffer.alloc(0))]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

test('decodes plain grey and RGB PNGs to the very bytes sharp gives', async () => {
  const files: Array<[string, Buffer]> = [];
  for (let seed = 1; seed <= 6; seed++) {
    for (const channels of [1, 3] as const) {
      files.push([`sharp ${channels} ${seed}`, await noise(channels, seed).png({ compressionLevel: seed % 10, adaptiveFiltering: seed % 2 === 0 }).toBuffer()]);
      const { data } = await noise(channels, seed).raw().toBuffer({ resolveWithObject: true });
      files.push([`hand ${channels} ${seed}`, handMade(data, channels, [seed % 5, (seed + 1) % 5, 4, 3, 2, 1, 0], 1 + (seed % 4))]);
    }
  }
  files.push(['flat', await sharp({ create: { width: SIZE, height: SIZE, channels: 3, background: { r: 10, g: 200, b: 30 } } }).png().toBuffer()]);
  for (const [name, bytes] of files) {
    const plain = decodePlainPng(bytes, SIZE);
    expect([name, plain === null]).toEqual([name, false]);
    expect([name, Buffer.from(plain!.data).equals(await sharpPixels(bytes))]).toEqual([name, true]);
  }
});

test('leaves to sharp every PNG whose pixels sharp would transform, and every other size or format', async () => {
  const refused: Array<[string, Buffer | Promise<Buffer>, number?]> = [
    ['rgba', noise(3, 1).ensureAlpha(0.5).png().toBuffer()],
    ['grey alpha', noise(1, 1).ensureAlpha(0.5).png().toBuffer()],
    ['palette', noise(3, 1).png({ palette: true }).toBuffer()],
    ['16 bits', noise(3, 1).toColourspace('rgb16').png().toBuffer()],
    ['interlaced', noise(3, 1).png({ progressive: true }).toBuffer()],
    ['rotated', noise(3, 1).png().withMetadata({ orientation: 6 }).toBuffer()],
    ['colour profile', noise(3, 1).png().withIccProfile('p3').toBuffer()],
    ['other size', noise(3, 1, 30).png().toBuffer()],
    ['jpeg', noise(3, 1).jpeg().toBuffer()],
    ['too big to hold the event loop', noise(3, 1, 256).png().toBuffer(), 256],
  ];
  for (const [name, bytes, size] of refused) {
    expect([name, decodePlainPng(await bytes, size ?? SIZE)]).toEqual([name, null]);
  }
  expect(256 * 256).toBeGreaterThan(MAX_PIXELS);
});

test('damaged files never throw, and are decoded only when what is left still reads as sharp reads it', async () => {
  const random = seededRandom(11);
  const good = await noise(3, 2).png().toBuffer();
  let decoded = 0;
  for (let k = 0; k < 300; k++) {
    const bytes = Buffer.from(good);
    const cut = k % 3 === 0 ? Math.floor(random.next() * bytes.length) : bytes.length;
    for (let flips = 1 + Math.floor(random.next() * 3); flips > 0; flips--) bytes[Math.floor(random.next() * cut)] = Math.floor(random.next() * 256);
    const damaged = bytes.subarray(0, cut);
    const plain = decodePlainPng(damaged, SIZE);
    if (!plain) continue;
    decoded++;
    // a flipped byte inside an ancillary chunk or past IEND leaves the pixels as they were
    expect(Buffer.from(plain.data).equals(await sharpPixels(damaged))).toBe(true);
  }
  // CRCs catch the damage to the header and the pixels: most damaged copies must go to sharp
  expect(decoded).toBeLessThan(150);
});

test('preprocessImage gives the same floats whichever decoder read the file', async () => {
  for (const channels of [1, 3] as const) {
    const spec: ImageSpec = { size: SIZE, channels, layout: 'NHWC', scale: 1 / 255 };
    for (const source of [1, 3] as const) {
      const bytes = await noise(source, 5).png().toBuffer();
      expect(decodePlainPng(bytes, SIZE)).not.toBeNull();
      const fast = await preprocessImage(bytes, spec);
      // the same pixels behind an sBIT chunk (all 8 significant bits: nothing changes), which the plain
      // decoder leaves to sharp, so preprocessImage takes sharp's path for this copy
      const marked = withChunkBeforeIdat(bytes, 'sBIT', Buffer.from(source === 1 ? [8] : [8, 8, 8]));
      expect(decodePlainPng(marked, SIZE)).toBeNull();
      const viaSharp = await preprocessImage(marked, spec);
      expect([channels, source, Array.from(fast)]).toEqual([channels, source, Array.from(viaSharp)]);
    }
  }
});

function withChunkBeforeIdat(png: Buffer, type: string, data: Buffer): Buffer {
  const at = 33; // after the signature and IHDR
  return Buffer.concat([png.subarray(0, at), pngChunk(type, data), png.subarray(at)]);
}
