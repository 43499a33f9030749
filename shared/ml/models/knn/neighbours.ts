import { scale, type StandardScaler } from '../standard_scaler';

/**
 * A fitted kNN model and its forward pass, step for step as the ONNX graph computes it (onnx.ts), so
 * that the two agree to float32 rounding. Distances are computed per stored row as Σ(s − x)² or Σ|s − x|
 * (never by the |x|² − 2x·s + |s|² expansion, whose cancellation makes an exact match read as a small
 * distance). Ties: among equal distances the stored row of lower index is nearer — ONNX TopK's rule.
 */
export interface KnnModel {
  scaler: StandardScaler;
  /** Standardised stored rows [rows × width]. */
  stored: Float32Array;
  rows: number;
  /** Per stored row, what it votes [rows × outputs]: 0/1 (binary), one-hot (multiclass), the value (regression). */
  targets: Float32Array;
  outputs: number;
  k: number;
  distance: 'euclidean' | 'manhattan';
  weights: 'uniform' | 'distance';
}

/** Floors a distance before 1 / d: an exact match weighs 10¹², which outweighs any other neighbour. */
export const MIN_DISTANCE = 1e-12;

/** The k nearest stored rows of each row: their indices and distances (Euclidean: the square root already taken). */
export function nearest(model: KnnModel, X: Float32Array, n: number): { index: Int32Array; distance: Float32Array } {
  const { stored, rows, k } = model;
  const width = model.scaler.mean.length;
  const z = scale(X, n, model.scaler);
  const index = new Int32Array(n * k);
  const distance = new Float32Array(n * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  const manhattan = model.distance === 'manhattan';
  for (let i = 0; i < n; i++) {
    const x = i * width;
    let filled = 0;
    for (let m = 0; m < rows; m++) {
      const s = m * width;
      let sum = 0;
      // once k rows are held, a row whose partial sum already reaches the k-th distance cannot enter:
      // the terms are non-negative and rounding to float32 is monotone, so skipping it changes nothing
      const bound = filled === k ? bestD[k - 1] : Infinity;
      let j = 0;
      for (; j < width && sum < bound; j++) {
        const d = Math.fround(stored[s + j] - z[x + j]);
        sum += manhattan ? Math.abs(d) : Math.fround(d * d);
      }
      if (j < width) continue;
      const d = Math.fround(sum);
      // strictly nearer only: an equal distance keeps the earlier (lower-index) row ahead
      if (filled === k && !(d < bestD[k - 1])) continue;
      let at = filled < k ? filled++ : k - 1;
      while (at > 0 && d < bestD[at - 1]) {
        bestD[at] = bestD[at - 1];
        bestI[at] = bestI[at - 1];
        at--;
      }
      bestD[at] = d;
      bestI[at] = m;
    }
    for (let r = 0; r < k; r++) {
      index[i * k + r] = bestI[r];
      distance[i * k + r] = manhattan ? bestD[r] : Math.fround(Math.sqrt(bestD[r]));
    }
  }
  return { index, distance };
}

/** The vote of the neighbours, [n × outputs]: their mean target, or their 1/d-weighted mean. */
export function predictKnn(model: KnnModel, X: Float32Array, n: number): Float32Array {
  const { k, outputs, targets } = model;
  const { index, distance } = nearest(model, X, n);
  const out = new Float32Array(n * outputs);
  const sums = new Float64Array(outputs);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    let total = 0;
    for (let r = 0; r < k; r++) {
      const w = model.weights === 'uniform' ? 1 : Math.fround(1 / Math.max(distance[i * k + r], MIN_DISTANCE));
      total += w;
      const t = index[i * k + r] * outputs;
      for (let c = 0; c < outputs; c++) sums[c] += w * targets[t + c];
    }
    for (let c = 0; c < outputs; c++) out[i * outputs + c] = sums[c] / total;
  }
  return out;
}
