import type { Random } from '../data/random';

/**
 * A uniform sample of at most `size` values, in one pass (Vitter's algorithm R), so that the reference
 * keeps enough raw values for KS and Wasserstein without keeping the training set.
 */
export function reservoirSample(values: ArrayLike<number>, size: number, random: Random): Float64Array {
  if (values.length <= size) return Float64Array.from(values);
  const sample = new Float64Array(size);
  for (let i = 0; i < size; i++) sample[i] = values[i];
  for (let i = size; i < values.length; i++) {
    const j = random.int(i + 1);
    if (j < size) sample[j] = values[i];
  }
  return sample;
}
