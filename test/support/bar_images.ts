import type { ImageSpec, ImageTrainingData } from '../../shared/data/images/image_spec';
import { seededRandom } from '../../shared/data/random';

/**
 * A tiny image set a CNN must learn from shapes, not from brightness: a vertical bar, a horizontal bar,
 * or neither, two pixels wide at a random place, on uniform noise. Every class has the same mean
 * brightness range, so a model that only averages pixels stays near chance.
 */
export const BAR_CLASSES = ['vertical', 'horizontal', 'none'];

function barImages(n: number, spec: ImageSpec, seed: number): { x: Float32Array; y: Int32Array; n: number } {
  const { size, channels } = spec;
  const random = seededRandom(seed);
  const x = new Float32Array(n * size * size * channels);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % BAR_CLASSES.length;
    y[i] = label;
    const at = 2 + random.int(size - 5);
    const level = 0.7 + 0.3 * random.next();
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const onBar = (label === 0 && (c === at || c === at + 1)) || (label === 1 && (r === at || r === at + 1));
        for (let ch = 0; ch < channels; ch++) x[((i * size + r) * size + c) * channels + ch] = onBar ? level : 0.35 * random.next();
      }
    }
  }
  return { x, y, n };
}

export function barImageSet(sizes: { train: number; validation: number; test: number }, spec: ImageSpec, seed = 1): ImageTrainingData {
  return {
    spec,
    classes: [...BAR_CLASSES],
    train: barImages(sizes.train, spec, seed),
    validation: barImages(sizes.validation, spec, seed + 1),
    test: barImages(sizes.test, spec, seed + 2),
  };
}
