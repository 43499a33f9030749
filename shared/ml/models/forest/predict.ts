import { predictRaw, type Forest } from '../gbdt/forest';

/**
 * A forest's answer is the average of its trees: every leaf value is already divided by the number of
 * trees, so the ensemble's sum is the mean (gbdt's forward pass, base 0). Binary: the mean of the leaves'
 * positive share, a probability. Multiclass: one tree per class on that class's 0/1 indicator, so the
 * K means are each class's share, normalised here to sum to one. Regression: the mean of the leaves' means.
 */

/** Below this the K class shares of a row count as zero, and so do its probabilities rather than 0/0. */
export const SMALLEST_TOTAL = Math.fround(1e-30);

/** Row-major [n × K] shares → probabilities, in float32 as the ONNX graph's ReduceSum and Div compute. */
export function normaliseRows(raw: Float32Array, n: number, K: number): Float32Array {
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let k = 0; k < K; k++) total += raw[i * K + k];
    const divisor = Math.max(Math.fround(total), SMALLEST_TOTAL);
    for (let k = 0; k < K; k++) out[i * K + k] = raw[i * K + k] / divisor;
  }
  return out;
}

/** What the model answers, per the contract: P(positive) [n], class probabilities [n × K] or a value [n]. */
export function predictAveraged(forest: Forest, X: Float32Array, n: number): Float32Array {
  const raw = predictRaw(forest, X, n);
  return forest.objective === 'multiclass' ? normaliseRows(raw, n, forest.numClass) : raw;
}
