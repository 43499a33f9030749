import type { CnnParams } from './params';

/**
 * Each class's weight in the loss. balanced: n / (K · n_k), so that every class weighs as much as the
 * others however rare, capped so that a handful of images cannot dominate every batch; a class absent
 * from training gets the cap (no training image uses it). none: 1 each.
 */
export function classWeights(y: Int32Array, classes: number, p: Pick<CnnParams, 'class_weight' | 'max_class_weight'>): Float32Array {
  if (p.class_weight === 'none') return new Float32Array(classes).fill(1);
  const counts = new Float64Array(classes);
  for (const k of y) counts[k]++;
  return Float32Array.from(counts, (c) => (c > 0 ? Math.min(p.max_class_weight, y.length / (classes * c)) : p.max_class_weight));
}
