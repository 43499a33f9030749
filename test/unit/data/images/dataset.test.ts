import { gzipSync } from 'node:zlib';
import { ArchiveRefused } from '../../../../shared/data/images/archive';
import { assertTrainable, imageDatasetVersion, scanImageDataset } from '../../../../shared/data/images/dataset';
import { makeJpeg, makeTar, makeZip, uniquePng, type ZipEntrySpec } from './fixtures';

const images = (folder: string, from: number, n: number, ext = 'png'): ZipEntrySpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${folder}/${i}.${ext}`, data: uniquePng(from + i) }));

describe('scanImageDataset, classes from folders', () => {
  test('accepts good images and says, by entry, why the others were left out', async () => {
    const truncated = await makeJpeg(900, 64);
    const shared = uniquePng(500);
    const zip = makeZip([
      ...images('cats', 0, 6),
      ...images('dogs', 100, 6),
      { name: 'dogs/broken.jpg', data: Buffer.from('this is not a jpeg') },
      { name: 'dogs/cut.jpg', data: truncated.subarray(0, truncated.length >> 1) },
      { name: 'cats/same.png', data: shared },
      { name: 'dogs/same.png', data: shared },
      { name: 'dogs/copy.png', data: uniquePng(100) },
      { name: 'empty/' },
      { name: 'README.txt', data: Buffer.from('about') },
      { name: '__MACOSX/cats/._0.png', data: Buffer.from('resource fork') },
      { name: 'stray.png', data: uniquePng(999) },
    ]);
    const dataset = await scanImageDataset(zip, { minImagesPerClass: 5 });
    const { report } = dataset;
    expect(dataset.classes).toEqual(['cats', 'dogs']);
    expect(report.class_counts).toEqual({ cats: 6, dogs: 6 });
    expect(dataset.images).toHaveLength(12);
    expect(dataset.images.every((r) => r.sha256.length === 64 && r.format === 'png' && r.width === 8)).toBe(true);
    expect(report.images_read).toBe(18);
    expect(report.images).toBe(12);
    expect(report.rejected.map((r) => [r.entry, r.reason])).toEqual([
      ['cats/same.png', 'duplicate_across_classes'],
      ['dogs/broken.jpg', 'undecodable'],
      ['dogs/copy.png', 'duplicate'],
      ['dogs/cut.jpg', 'truncated'],
      ['dogs/same.png', 'duplicate_across_classes'],
      ['stray.png', 'unlabelled'],
    ]);
    expect(report.rejected_by_reason).toEqual({ undecodable: 1, truncated: 1, duplicate_across_classes: 2, duplicate: 1, unlabelled: 1 });
    expect(report.duplicates_across_classes).toEqual([{ sha256: expect.any(String), classes: ['cats', 'dogs'], entries: ['cats/same.png', 'dogs/same.png'] }]);
    expect(report.duplicates_within_class).toBe(1);
    expect(report.dropped_classes).toEqual([{ name: 'empty', images: 0, reason: 'empty' }]);
    expect(report.ignored_count).toBe(2);
    expect(report.ignored).toEqual(['README.txt', '__MACOSX/cats/._0.png']);
    expect(report.labels_from).toBe('folders');
    expect(report.colour_counts).toEqual({ rgb: 12 });
    expect(report.imbalance_ratio).toBe(1);
    expect(report.errors).toEqual([]);
    expect(report.warnings.join(' ')).toMatch(/more than one class/);
    expect(() => assertTrainable(dataset)).not.toThrow();
  });

  test('unicode class and file names, and a folder wrapping the whole dataset', async () => {
    const zip = makeZip([
      ...images('hojas/café', 0, 5),
      ...images('hojas/ñandú', 10, 5).map((e, i) => ({ ...e, name: `hojas/ñandú/ü${i}.png` })),
      { name: 'loose.png', data: uniquePng(50) },
    ]);
    const dataset = await scanImageDataset(zip);
    expect(dataset.classes).toEqual(['café', 'ñandú']);
    expect(dataset.report.rejected.map((r) => [r.entry, r.reason])).toEqual([['loose.png', 'unlabelled']]);
    expect(dataset.images.map((r) => r.entry)).toContain('hojas/ñandú/ü0.png');
  });

  test('a class named in decomposed Unicode (as macOS writes it) is the same class as its composed form', async () => {
    const zip = makeZip([...images('cafe\u0301', 0, 3), ...images('caf\u00e9', 10, 3).map((e, i) => ({ ...e, name: `caf\u00e9/x${i}.png` })), ...images('tea', 20, 5)]);
    const dataset = await scanImageDataset(zip);
    expect(dataset.report.class_counts).toEqual({ 'caf\u00e9': 6, tea: 5 });
  });

  test('a class under the minimum is dropped; fewer than two classes is an error a trainer refuses', async () => {
    const dataset = await scanImageDataset(makeZip([...images('a', 0, 5), ...images('b', 10, 4)]), { minImagesPerClass: 5 });
    expect(dataset.classes).toEqual(['a']);
    expect(dataset.report.dropped_classes).toEqual([{ name: 'b', images: 4, reason: 'below_minimum' }]);
    expect(dataset.report.rejected_by_reason).toEqual({ class_below_minimum: 4 });
    expect(dataset.report.errors[0]).toMatch(/at least 2 classes/);
    expect(() => assertTrainable(dataset)).toThrow(/at least 2 classes/);
  });

  test('a class whose images are all corrupt is reported below the minimum', async () => {
    const zip = makeZip([...images('a', 0, 3), ...images('b', 10, 3), { name: 'c/x.jpg', data: Buffer.from('no') }]);
    const dataset = await scanImageDataset(zip, { minImagesPerClass: 1 });
    expect(dataset.report.dropped_classes).toEqual([{ name: 'c', images: 0, reason: 'below_minimum' }]);
  });

  test('imbalance is measured and warned about', async () => {
    const dataset = await scanImageDataset(makeZip([...images('big', 0, 30), ...images('small', 100, 2)]), { minImagesPerClass: 2 });
    expect(dataset.report.imbalance_ratio).toBe(15);
    expect(dataset.report.warnings.join(' ')).toMatch(/imbalanced/);
  });

  test('grayscale, RGBA and CMYK images are counted by colour', async () => {
    const sharp = (await import('sharp')).default;
    const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c83' } }).toColourspace('cmyk').jpeg().toBuffer();
    const grey = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } }).toColourspace('b-w').png().toBuffer();
    const rgba = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } }).png().toBuffer();
    const zip = makeZip([...images('a', 0, 2), { name: 'b/cmyk.jpg', data: cmyk }, { name: 'b/grey.png', data: grey }, { name: 'b/rgba.png', data: rgba }]);
    const { report } = await scanImageDataset(zip, { minImagesPerClass: 1 });
    expect(report.colour_counts).toEqual({ rgb: 2, cmyk: 1, grayscale: 1, rgba: 1 });
    expect(report.warnings.join(' ')).toMatch(/CMYK/);
  });

  test('an unsafe archive is refused as a whole', async () => {
    await expect(scanImageDataset(makeZip([...images('a', 0, 5), { name: '../evil.png', data: uniquePng(1) }]))).rejects.toBeInstanceOf(ArchiveRefused);
  });
});

describe('scanImageDataset, classes from labels.csv', () => {
  test('labels come from the csv, paths relative to it; images without a row and rows without an image are counted', async () => {
    const rows = ['path,label', ...Array.from({ length: 5 }, (_, i) => `img/${i}.png,ok`), ...Array.from({ length: 5 }, (_, i) => `img/${10 + i}.png,"sick, badly"`), 'img/missing.png,ok'];
    const zip = makeZip([
      ...images('set/img', 0, 5),
      ...images('set/img', 10, 5).map((e, i) => ({ ...e, name: `set/img/${10 + i}.png` })),
      { name: 'set/img/extra.png', data: uniquePng(77) },
      { name: 'set/labels.csv', data: Buffer.from(rows.join('\n')) },
    ]);
    const dataset = await scanImageDataset(zip);
    expect(dataset.report.labels_from).toBe('labels.csv');
    expect(dataset.classes).toEqual(['ok', 'sick, badly']);
    expect(dataset.report.class_counts).toEqual({ ok: 5, 'sick, badly': 5 });
    expect(dataset.report.labels_without_image).toBe(1);
    expect(dataset.report.rejected).toEqual([{ entry: 'set/img/extra.png', reason: 'unlabelled', message: expect.stringContaining('labels.csv') }]);
  });

  test('a labels.csv without path and label columns is refused with what it has', async () => {
    const zip = makeZip([...images('a', 0, 2), { name: 'labels.csv', data: Buffer.from('file_name,kind\na/0.png,x\n') }]);
    await expect(scanImageDataset(zip)).rejects.toThrow(/path column and a label column.*file_name,kind/);
  });
});

describe('the dataset version', () => {
  test('is the same for the same labelled images however archived, and changes with a label', async () => {
    const entries = [...images('a', 0, 5), ...images('b', 10, 5)];
    const zip = await scanImageDataset(makeZip(entries));
    const reordered = await scanImageDataset(makeZip([...entries].reverse().map((e) => ({ ...e, deflate: true }))));
    const tgz = await scanImageDataset(gzipSync(await makeTar(entries.map((e) => ({ name: `wrapped/${e.name}`, data: e.data! })))));
    expect(zip.version).toMatch(/^[0-9a-f]{16}$/);
    expect(reordered.version).toBe(zip.version);
    expect(tgz.version).toBe(zip.version);
    const relabelled = await scanImageDataset(makeZip(entries.map((e) => ({ ...e, name: e.name.replace(/^b\//, 'c/') }))));
    expect(relabelled.version).not.toBe(zip.version);
  });

  test('is computed over sorted (class, hash) pairs', () => {
    const a = { label: 'x', sha256: 'aa' };
    const b = { label: 'y', sha256: 'bb' };
    expect(imageDatasetVersion([a, b])).toBe(imageDatasetVersion([b, a]));
    expect(imageDatasetVersion([a, b])).not.toBe(imageDatasetVersion([{ ...a, label: 'y' }, b]));
  });
});
