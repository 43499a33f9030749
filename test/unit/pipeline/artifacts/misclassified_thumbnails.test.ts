import sharp from 'sharp';
import { DEFAULT_IMAGE_SPEC, imageFloats, type ImageTrainingData } from '../../../../shared/data/images/image_spec';
import { MAX_MISCLASSIFIED } from '../../../../shared/ml/misclassified';
import { misclassifiedThumbnails } from '../../../../shared/pipeline/artifacts/misclassified_thumbnails';

const spec = { ...DEFAULT_IMAGE_SPEC, size: 96 };
const empty = { x: new Float32Array(0), y: new Int32Array(0), n: 0 };

/** n test images of two classes, image i all of grey level i, and probabilities that get every odd one wrong. */
function testSplit(n: number): { data: ImageTrainingData; probabilities: Float32Array } {
  const floats = imageFloats(spec);
  const x = new Float32Array(n * floats);
  for (let i = 0; i < n; i++) x.fill(i / 255, i * floats, (i + 1) * floats);
  const y = Int32Array.from({ length: n }, () => 0);
  const probabilities = Float32Array.from(Array.from({ length: n }, (_, i) => (i % 2 ? [0.4 - i / 1000, 0.6 + i / 1000] : [0.9, 0.1])).flat());
  return { data: { spec, classes: ['oak', 'ash'], train: empty, validation: empty, test: { x, y, n } }, probabilities };
}

describe('the misclassified thumbnails of an image version', () => {
  it('are PNGs of at most 64 px named by their place in the list, each the image of its row', async () => {
    const { data, probabilities } = testSplit(6);
    const { list, files } = await misclassifiedThumbnails(data, probabilities);
    // rows 1, 3, 5 are wrong; the surest mistake (row 5) first
    expect(list.map((m) => [m.row, m.label, m.predicted])).toEqual([[5, 'oak', 'ash'], [3, 'oak', 'ash'], [1, 'oak', 'ash']]);
    expect(files.map((f) => [f.name, f.contentType])).toEqual([['misclassified/0.png', 'image/png'], ['misclassified/1.png', 'image/png'], ['misclassified/2.png', 'image/png']]);
    for (const [index, file] of files.entries()) {
      const { data: pixels, info } = await sharp(file.data as Buffer).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([64, 64]);
      expect(pixels[0]).toBe(list[index].row);
    }
  });

  it('keep at most 32, and none when the model made no mistake', async () => {
    const many = testSplit(80);
    expect((await misclassifiedThumbnails(many.data, many.probabilities)).files).toHaveLength(MAX_MISCLASSIFIED);
    const right = testSplit(2);
    right.probabilities.set([0.9, 0.1, 0.8, 0.2]);
    expect(await misclassifiedThumbnails(right.data, right.probabilities)).toEqual({ list: [], files: [] });
  });
});
