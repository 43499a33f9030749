import { scale, type StandardScaler } from '../standard_scaler';

/** A fitted k-means model as its graph holds it: the scaler and float32 centroids [k × width]. */
export interface KmeansModel {
  scaler: StandardScaler;
  centroids: Float32Array;
  k: number;
}

/**
 * Each row's distance to every centroid [n × k] and its cluster [n] (the nearest; the first on a tie),
 * in the float32 steps of the graph (onnx.ts): Sub, Mul, a sum, Sqrt, ArgMin.
 */
export function centroidDistances(model: KmeansModel, X: Float32Array, n: number): { cluster: Float32Array; distances: Float32Array } {
  const { centroids, k } = model;
  const width = model.scaler.mean.length;
  const z = scale(X, n, model.scaler);
  const distances = new Float32Array(n * k);
  const cluster = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < width; j++) {
        const d = Math.fround(centroids[c * width + j] - z[i * width + j]);
        sum += Math.fround(d * d);
      }
      const distance = Math.fround(Math.sqrt(Math.fround(sum)));
      distances[i * k + c] = distance;
      if (distance < distances[i * k + best]) best = c;
    }
    cluster[i] = best;
  }
  return { cluster, distances };
}
