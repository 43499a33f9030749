import { ArchiveRefused } from '../../../../shared/data/images/archive';
import { scanImageDataset, type ImageRecord } from '../../../../shared/data/images/dataset';
import { imageBytes, imageFloats, type ImageSpec } from '../../../../shared/data/images/image_spec';
import { preprocessImage } from '../../../../shared/data/images/preprocess';
import { loadImageTrainingData, preprocessRows, splitImages } from '../../../../shared/data/images/tensors';
import { makeZip, uniquePng, type ZipEntrySpec } from './fixtures';

const spec: ImageSpec = { size: 4, channels: 3, layout: 'NHWC', scale: 1 / 255 };
const entries: ZipEntrySpec[] = ['a', 'b', 'c'].flatMap((label, k) =>
  Array.from({ length: 10 + k * 5 }, (_, i) => ({ name: `${label}/${i}.png`, data: uniquePng(k * 100 + i) })),
);
const zip = makeZip(entries);

test('the memory of N images is known before allocating: size² × channels × 4 bytes each', () => {
  expect(imageFloats({ ...spec, size: 64 })).toBe(64 * 64 * 3);
  expect(imageBytes({ ...spec, size: 64 })).toBe(49_152);
  expect(imageBytes({ ...spec, size: 96, channels: 1 })).toBe(96 * 96 * 4);
});

describe('splitImages', () => {
  const records = (label: string, n: number): ImageRecord[] =>
    Array.from({ length: n }, (_, i) => ({ entry: `${label}/${i}`, label, sha256: `${(i * 7919) % 1000}`.padStart(4, '0'), width: 1, height: 1, format: 'png', colour: 'rgb', bytes: 1 }));

  test('stratified: each class gives test and validation its share, at least one of each from 3 images up', () => {
    const split = splitImages([...records('x', 100), ...records('y', 3), ...records('z', 2)]);
    const count = (part: ImageRecord[], label: string) => part.filter((r) => r.label === label).length;
    expect([count(split.train, 'x'), count(split.validation, 'x'), count(split.test, 'x')]).toEqual([80, 10, 10]);
    expect([count(split.train, 'y'), count(split.validation, 'y'), count(split.test, 'y')]).toEqual([1, 1, 1]);
    expect([count(split.train, 'z'), count(split.validation, 'z'), count(split.test, 'z')]).toEqual([2, 0, 0]);
  });

  test('deterministic: the order images come in does not change the split', () => {
    const all = records('x', 50);
    const names = (s: ReturnType<typeof splitImages>) => s.test.map((r) => r.entry).sort();
    expect(names(splitImages([...all].reverse()))).toEqual(names(splitImages(all)));
  });
});

describe('loadImageTrainingData', () => {
  test('fills preallocated arrays, row by row, with what preprocessImage gives each image', async () => {
    const dataset = await scanImageDataset(zip, { spec });
    const data = await loadImageTrainingData(zip, dataset, spec);
    expect(data.classes).toEqual(['a', 'b', 'c']);
    expect(data.train.n + data.validation.n + data.test.n).toBe(45);
    expect([data.validation.n, data.test.n]).toEqual([5, 5]);
    for (const part of [data.train, data.validation, data.test]) {
      expect(part.x.length).toBe(part.n * imageFloats(spec));
      expect(part.y.length).toBe(part.n);
    }
    // every test row holds its image: find it by label and pixels
    const bytesOf = new Map(entries.map((e) => [e.name, e.data!]));
    const split = splitImages(dataset.images);
    for (let row = 0; row < data.test.n; row++) {
      const record = split.test[row];
      expect(data.classes[data.test.y[row]]).toBe(record.label);
      const expected = await preprocessImage(bytesOf.get(record.entry)!, spec);
      expect(Array.from(data.test.x.subarray(row * 48, row * 48 + 48))).toEqual(Array.from(expected));
    }
  });

  test('an archive that changed since the scan is refused, naming what changed', async () => {
    const dataset = await scanImageDataset(zip, { spec });
    const changed = makeZip(entries.map((e) => (e.name === dataset.images[0].entry ? { ...e, data: uniquePng(9999) } : e)));
    await expect(loadImageTrainingData(changed, dataset, spec)).rejects.toThrow(`entry ${dataset.images[0].entry} changed`);
    const shorter = makeZip(entries.filter((e) => e.name !== 'c/3.png'));
    await expect(loadImageTrainingData(shorter, dataset, spec)).rejects.toThrow(/not in the archive \(first: c\/3.png\)/);
  });

  test('preprocessRows checks every row fits its array, and keeps the archive limits', async () => {
    const x = new Float32Array(48);
    await expect(preprocessRows(zip, [{ entry: 'a/0.png', x, row: 1 }], spec)).rejects.toThrow(/does not fit/);
    await expect(preprocessRows(zip, [{ entry: 'a/0.png', x, row: 0 }], spec, { limits: { maxEntries: 3 } })).rejects.toBeInstanceOf(ArchiveRefused);
    await preprocessRows(zip, [{ entry: 'a/0.png', x, row: 0 }], spec);
    expect(Array.from(x)).toEqual(Array.from(await preprocessImage(uniquePng(0), spec)));
  });
});
