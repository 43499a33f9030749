import { composeImageArchives } from '../../../../shared/data/images/compose';
import { scanImageDataset } from '../../../../shared/data/images/dataset';
import { DEFAULT_IMAGE_SPEC } from '../../../../shared/data/images/image_spec';
import { makeTar, makeZip, uniquePng, type ZipEntrySpec } from './fixtures';

const images = (folder: string, from: number, n: number): ZipEntrySpec[] => Array.from({ length: n }, (_, i) => ({ name: `${folder}/${i}.png`, data: uniquePng(from + i) }));

async function composed(...sources: Buffer[]): Promise<Buffer> {
  const { stream, done } = composeImageArchives(sources.map((source, i) => ({ id: `m${i}`, source })), DEFAULT_IMAGE_SPEC);
  const chunks: Buffer[] = [];
  const [written] = await Promise.all([done, (async () => { for await (const chunk of stream) chunks.push(chunk as Buffer); })()]);
  expect(written.images).toBeGreaterThan(0);
  return Buffer.concat(chunks);
}

describe('composeImageArchives', () => {
  it('is one archive of every member\'s labelled images, whatever each labels them with', async () => {
    // a wrapping folder in one, labels.csv in the other, a class below the minimum completed by the second
    const first = makeZip([...images('set/cats', 0, 5), ...images('set/dogs', 10, 3)]);
    const second = await makeTar([
      { name: 'labels.csv', data: Buffer.from('path,label\na.png,dogs\nb.png,dogs\nc.png,"birds, small"\n') },
      { name: 'a.png', data: uniquePng(20) },
      { name: 'b.png', data: uniquePng(21) },
      { name: 'c.png', data: uniquePng(22) },
    ]);
    const scan = await scanImageDataset(await composed(first, second), { minImagesPerClass: 1 });
    expect(scan.report.labels_from).toBe('labels.csv');
    expect(scan.report.class_counts).toEqual({ 'birds, small': 1, cats: 5, dogs: 5 });
    expect(scan.images.map((r) => r.entry)).toContain('m0/set/cats/0.png');
    expect(scan.images.map((r) => r.entry)).toContain('m1/c.png');
    // the same images, however they were archived, are the same version
    const alone = await scanImageDataset(makeZip([...images('cats', 0, 5), ...images('dogs', 10, 3), { name: 'dogs/x.png', data: uniquePng(20) }, { name: 'dogs/y.png', data: uniquePng(21) }, { name: 'birds, small/z.png', data: uniquePng(22) }]), { minImagesPerClass: 1 });
    expect(scan.version).toBe(alone.version);
  });

  it('writes an image two members share under one class once, and under two classes both, for the scan to leave out', async () => {
    const first = makeZip([...images('cats', 0, 5), { name: 'dogs/0.png', data: uniquePng(50) }]);
    const second = makeZip([{ name: 'cats/again.png', data: uniquePng(0) }, { name: 'cats/moved.png', data: uniquePng(50) }]);
    const scan = await scanImageDataset(await composed(first, second), { minImagesPerClass: 1 });
    expect(scan.report.duplicates_within_class).toBe(0);
    expect(scan.report.duplicates_across_classes).toEqual([{ sha256: expect.any(String), classes: ['cats', 'dogs'], entries: ['m0/dogs/0.png', 'm1/cats/moved.png'] }]);
    expect(scan.report.class_counts).toEqual({ cats: 5 });
  });
});
