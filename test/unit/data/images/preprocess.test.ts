import sharp from 'sharp';
import type { ImageSpec } from '../../../../shared/data/images/image_spec';
import type { ImageProperties } from '../../../../shared/data/images/image_properties';
import { ImageRejected, preprocessImage, readImageHeader } from '../../../../shared/data/images/preprocess';
import { makeJpeg, makePng } from './fixtures';

const spec = (size: number, channels: 1 | 3 = 3): ImageSpec => ({ size, channels, layout: 'NHWC', scale: 1 / 255 });
const bytes255 = (x: Float32Array) => Array.from(x, (v) => Math.round(v * 255));

async function rejection(promise: Promise<unknown>): Promise<ImageRejected> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ImageRejected) return err;
    throw err;
  }
  throw new Error('the image was accepted');
}

describe('preprocessImage against PNGs written pixel by pixel', () => {
  test('RGB at the spec size: every value is the pixel × 1/255, NHWC', async () => {
    const pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    const x = await preprocessImage(makePng(2, 2, 2, pixels), spec(2));
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(12);
    pixels.forEach((p, i) => expect(x[i]).toBeCloseTo(p / 255, 6));
  });

  test('grayscale is repeated into R, G and B; a 1-channel spec keeps it as is', async () => {
    const png = makePng(2, 2, 0, [0, 85, 170, 255]);
    expect((await readImageHeader(png)).colour).toBe('grayscale');
    expect(bytes255(await preprocessImage(png, spec(2)))).toEqual([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]);
    expect(bytes255(await preprocessImage(png, spec(2, 1)))).toEqual([0, 85, 170, 255]);
  });

  test('RGBA is composited onto black, with or without a resize', async () => {
    // a row of: transparent, opaque, half transparent
    const png = makePng(3, 3, 6, [...Array(3)].flatMap(() => [200, 100, 50, 0, 200, 100, 50, 255, 200, 100, 50, 128]));
    expect((await readImageHeader(png)).colour).toBe('rgba');
    const composited = [0, 0, 0, 200, 100, 50, 100, 50, 25];
    const x = bytes255(await preprocessImage(png, spec(3)));
    x.slice(0, 9).forEach((v, i) => expect(Math.abs(v - composited[i])).toBeLessThanOrEqual(1));
    const resized = bytes255(await preprocessImage(makePng(2, 2, 6, [9, 9, 9, 0, 9, 9, 9, 0, 9, 9, 9, 0, 9, 9, 9, 0]), spec(1)));
    expect(resized).toEqual([0, 0, 0]);
  });

  test('grayscale with alpha becomes grey in three channels, composited onto black', async () => {
    const png = makePng(2, 1, 4, [77, 255, 77, 10]);
    expect((await readImageHeader(png)).colour).toBe('grayscale_alpha');
    expect(bytes255(await preprocessImage(makePng(1, 1, 4, [77, 255]), spec(1)))).toEqual([77, 77, 77]);
    expect(bytes255(await preprocessImage(makePng(1, 1, 4, [77, 10]), spec(1)))).toEqual([3, 3, 3]);
  });

  test('a 1-channel spec takes ITU-R 601 luma of the RGB values', async () => {
    const red = await preprocessImage(makePng(1, 1, 2, [255, 0, 0]), spec(1, 1));
    const green = await preprocessImage(makePng(1, 1, 2, [0, 255, 0]), spec(1, 1));
    const blue = await preprocessImage(makePng(1, 1, 2, [0, 0, 255]), spec(1, 1));
    expect([red[0], green[0], blue[0]].map((v) => Number(v.toFixed(4)))).toEqual([0.299, 0.587, 0.114]);
  });

  test('resize is fill: a wide image is squeezed whole, not cropped to its centre', async () => {
    // 12×4: a red third, a green third, a blue third; cover would keep only the green middle
    const pixels: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 12; x++) pixels.push(...(x < 4 ? [255, 0, 0] : x < 8 ? [0, 255, 0] : [0, 0, 255]));
    const x = bytes255(await preprocessImage(makePng(12, 4, 2, pixels), spec(3)));
    const row = [x.slice(3 * 3, 3 * 3 + 3), x.slice(3 * 4, 3 * 4 + 3), x.slice(3 * 5, 3 * 5 + 3)]; // the middle row's 3 pixels
    expect(row[0][0]).toBeGreaterThan(200);
    expect(row[1][1]).toBeGreaterThan(200);
    expect(row[2][2]).toBeGreaterThan(200);
  });

  test('a uniform image stays exactly uniform through a downscale', async () => {
    const x = bytes255(await preprocessImage(makePng(40, 30, 2, Array.from({ length: 40 * 30 }, () => [12, 34, 56]).flat()), spec(8)));
    expect(new Set(x.map((v, i) => `${i % 3}:${v}`))).toEqual(new Set(['0:12', '1:34', '2:56']));
  });

  test('EXIF orientation is applied: a portrait photo stored sideways comes out upright', async () => {
    // 16×8 stored: red left half, blue right half; orientation 6 turns it 90° clockwise, red on top
    const raw = Buffer.alloc(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) raw.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    expect(await readImageHeader(jpeg)).toMatchObject({ width: 8, height: 16, format: 'jpeg' });
    const x = bytes255(await preprocessImage(jpeg, spec(2)));
    expect(x[0]).toBeGreaterThan(200); // top-left red
    expect(x[2]).toBeLessThan(60);
    expect(x[6 + 2]).toBeGreaterThan(200); // bottom-left blue
    expect(x[6]).toBeLessThan(60);
  });

  test('CMYK is converted to sRGB and reported as CMYK', async () => {
    const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 30, b: 30 } } }).toColourspace('cmyk').jpeg().toBuffer();
    expect((await readImageHeader(cmyk)).colour).toBe('cmyk');
    const [r, g, b] = bytes255(await preprocessImage(cmyk, spec(2)));
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(80);
    expect(b).toBeLessThan(80);
  });

  test('writes into a batch in place at its offset, leaving the other rows alone', async () => {
    const batch = new Float32Array(3 * 12).fill(-1);
    const view = await preprocessImage(makePng(2, 2, 0, [255, 255, 255, 255]), spec(2), { out: batch, offset: 12 });
    expect(view.length).toBe(12);
    expect(Array.from(batch.subarray(0, 12)).every((v) => v === -1)).toBe(true);
    expect(Array.from(batch.subarray(12, 24)).every((v) => v === 1)).toBe(true);
    expect(Array.from(batch.subarray(24)).every((v) => v === -1)).toBe(true);
    await expect(preprocessImage(makePng(2, 2, 0, [0, 0, 0, 0]), spec(2), { out: batch, offset: 30 })).rejects.toThrow(/no room/);
  });
});

describe('what preprocessImage refuses', () => {
  test('a pixel bomb: a tiny PNG declaring 100 000 × 100 000 pixels is refused from its header', async () => {
    const bomb = makePng(1, 1, 2, [0, 0, 0], { width: 100_000, height: 100_000 });
    expect(bomb.length).toBeLessThan(100);
    const err = await rejection(preprocessImage(bomb, spec(8)));
    expect(err.reason).toBe('too_many_pixels');
    expect(err.code).toBe('invalid_argument');
  });

  test('the pixel limit can be lowered', async () => {
    const png = makePng(20, 20, 0, new Array(400).fill(9));
    expect((await rejection(preprocessImage(png, spec(8), { maxInputPixels: 399 }))).reason).toBe('too_many_pixels');
    await expect(preprocessImage(png, spec(8), { maxInputPixels: 400 })).resolves.toHaveLength(8 * 8 * 3);
  });

  test('a truncated JPEG is refused as truncated', async () => {
    const jpeg = await makeJpeg(5, 64);
    expect((await rejection(preprocessImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), spec(8)))).reason).toBe('truncated');
  });

  test('many failing at once each keep their own reason (libvips shares one error buffer)', async () => {
    const jpeg = await makeJpeg(7, 64);
    const cut = jpeg.subarray(0, jpeg.length >> 1);
    const junk = Buffer.from('not an image at all');
    const reasons = await Promise.all(Array.from({ length: 24 }, (_, i) => rejection(preprocessImage(i % 2 ? cut : junk, spec(8))).then((e) => e.reason)));
    expect(reasons).toEqual(Array.from({ length: 24 }, (_, i) => (i % 2 ? 'truncated' : 'undecodable')));
  });

  test('a corrupt JPEG and bytes that are no image are refused as undecodable', async () => {
    const jpeg = Buffer.from(await makeJpeg(6, 64));
    for (let i = 20; i < 300; i++) jpeg[i] = (i * 151) & 0xff;
    expect((await rejection(preprocessImage(jpeg, spec(8)))).reason).toMatch(/undecodable|truncated/);
    expect((await rejection(preprocessImage(Buffer.from('not an image'), spec(8)))).reason).toBe('undecodable');
  });

  test('formats other than JPEG, PNG and WebP are refused, SVG included', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
    expect((await rejection(preprocessImage(svg, spec(8)))).reason).toBe('unsupported_format');
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } }).gif().toBuffer();
    expect((await rejection(preprocessImage(gif, spec(8)))).reason).toBe('unsupported_format');
  });

  test('WebP is read', async () => {
    const webp = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 0, g: 0, b: 255 } } }).webp({ lossless: true }).toBuffer();
    expect(bytes255(await preprocessImage(webp, spec(1)))).toEqual([0, 0, 255]);
  });
});

describe('preprocessImage measures what monitoring compares', () => {
  test('the original size (after EXIF orientation) and the luma of the resized pixels, from the same decode', async () => {
    // 4×4, left half black, right half white, at the spec's size: exactly half and half
    const half = makePng(4, 4, 0, [...Array(4)].flatMap(() => [0, 0, 255, 255]));
    let measured: ImageProperties | undefined;
    await preprocessImage(half, spec(4), { onProperties: (p) => (measured = p) });
    expect(measured).toEqual({ width: 4, height: 4, brightness: 0.5, contrast: 0.5 });
    // a 1-channel spec measures the same: the properties do not depend on the model's channels
    let grey: ImageProperties | undefined;
    await preprocessImage(half, spec(4, 1), { onProperties: (p) => (grey = p) });
    expect(grey).toEqual(measured);
    let flat: ImageProperties | undefined;
    await preprocessImage(makePng(3, 5, 2, new Array(45).fill(51)), spec(8), { onProperties: (p) => (flat = p) });
    expect(flat).toEqual({ width: 3, height: 5, brightness: 0.2, contrast: 0 });
    // stored 16×8 with orientation 6: measured as the upright 8×16 the model sees
    const raw = Buffer.alloc(16 * 8 * 3, 128);
    const jpeg = await sharp(raw, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    let upright: ImageProperties | undefined;
    await preprocessImage(jpeg, spec(4), { onProperties: (p) => (upright = p) });
    expect(upright).toMatchObject({ width: 8, height: 16 });
    expect(upright!.brightness).toBeCloseTo(128 / 255, 2);
  });

  test('a refused image is not measured', async () => {
    const seen: ImageProperties[] = [];
    await expect(preprocessImage(Buffer.from('not an image'), spec(8), { onProperties: (p) => seen.push(p) })).rejects.toBeInstanceOf(ImageRejected);
    expect(seen).toEqual([]);
  });
});
