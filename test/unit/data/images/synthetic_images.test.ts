import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scanImageDataset } from '../../../../shared/data/images/dataset';
import { syntheticImages, writeSyntheticImages } from '../../../../shared/data/images/synthetic_images';

async function all(options: Parameters<typeof syntheticImages>[0]) {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  for await (const image of syntheticImages(options)) out.push(image);
  return out;
}

const dir = mkdtempSync(path.join(tmpdir(), 'synthetic-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the same seed writes the same bytes; another seed other images', async () => {
  const a = await all({ classes: 3, perClass: 4, size: 32, seed: 7 });
  const b = await all({ classes: 3, perClass: 4, size: 32, seed: 7 });
  const c = await all({ classes: 3, perClass: 4, size: 32, seed: 8 });
  expect(a.map((i) => i.name)).toEqual(b.map((i) => i.name));
  expect(a.every((image, i) => image.bytes.equals(b[i].bytes))).toBe(true);
  expect(a.filter((image, i) => image.bytes.equals(c[i].bytes))).toHaveLength(0);
});

test('a zip is byte-for-byte the same for a seed, and scans as a clean dataset of PNGs and JPEGs', async () => {
  const first = path.join(dir, 'one.zip');
  const second = path.join(dir, 'two.zip');
  expect(await writeSyntheticImages(first, { classes: 4, perClass: 6, size: 32, seed: 3 })).toEqual({ images: 24, classes: ['circle', 'square', 'triangle', 'cross'] });
  await writeSyntheticImages(second, { classes: 4, perClass: 6, size: 32, seed: 3 });
  expect(readFileSync(first).equals(readFileSync(second))).toBe(true);
  const dataset = await scanImageDataset(first);
  expect(dataset.classes).toEqual(['circle', 'cross', 'square', 'triangle']);
  expect(dataset.report.class_counts).toEqual({ circle: 6, cross: 6, square: 6, triangle: 6 });
  expect(dataset.report.rejected_count).toBe(0);
  expect(dataset.report.format_counts).toEqual({ png: 12, jpeg: 12 });
  expect(dataset.report.width).toEqual({ min: 32, max: 32, mean: 32 });
});

test('a folder gets one subfolder per class', async () => {
  const target = path.join(dir, 'folder');
  await writeSyntheticImages(target, { classes: 8, perClass: 2, size: 16 });
  expect(readdirSync(target).sort()).toEqual(['checker', 'circle', 'cross', 'dots', 'ring', 'square', 'stripes', 'triangle']);
  expect(readdirSync(path.join(target, 'ring')).sort()).toEqual(['ring_0000.png', 'ring_0001.jpg']);
});

test('the classes differ in shape, not in colour: mean brightness does not tell them apart', async () => {
  const images = await all({ classes: 2, perClass: 40, size: 32, seed: 5 });
  const sharp = (await import('sharp')).default;
  const mean = async (label: string) => {
    const values = await Promise.all(images.filter((i) => i.name.startsWith(label)).map(async (i) => (await sharp(i.bytes).stats()).channels[0].mean));
    return values.reduce((s, v) => s + v, 0) / values.length;
  };
  expect(Math.abs((await mean('circle')) - (await mean('square')))).toBeLessThan(30);
});

test('options out of range are refused with what is allowed', async () => {
  await expect(all({ classes: 11 })).rejects.toThrow(/from 2 to 10/);
  await expect(all({ size: 4 })).rejects.toThrow(/--size/);
});
