import { MloopError } from '../../../core/errors';
import { encodedWidth } from '../../../data/encoding';
import { seededRandom } from '../../../data/random';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { fitScaler, scale } from '../standard_scaler';
import { centroidDistances, type KmeansModel } from './centroid_distances';
import { kmeansPlusPlus, lloyd, type Clustering } from './lloyd';
import { exportKmeans } from './onnx';
import { resolveKmeansParams } from './params';
import { silhouette } from './silhouette';

/**
 * k-means on the standardised features of the training split: n_init k-means++ starts, each refined
 * by Lloyd iterations, the one of lowest inertia kept. It never reads the target. The model reports its
 * inertia on the training rows and the silhouette of a seeded sample of them; its answer per row is the
 * cluster index (`predict`) and, in the ONNX, the distance to every centroid.
 */
export async function trainKmeans(data: Pick<TrainingData, 'specs' | 'train'>, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p = resolveKmeansParams(params);
  const width = encodedWidth(data.specs);
  const { X, n } = data.train;
  const k = p.n_clusters;
  if (n < k) throw new MloopError('invalid_argument', `kmeans with n_clusters ${k} needs at least ${k} training rows, got ${n}: lower n_clusters or give more rows`);
  const scaler = fitScaler(X, n, width);
  const Z = scale(X, n, scaler);
  // scikit-learn's tolerance: relative to the mean variance of the (standardised) features
  let variance = 0;
  for (let j = 0; j < width; j++) {
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      sum += Z[i * width + j];
      sq += Z[i * width + j] ** 2;
    }
    variance += sq / n - (sum / n) ** 2;
  }
  const tolerance = (p.tol * variance) / width;
  const random = seededRandom(p.seed);
  let best: Clustering | null = null;
  let last = performance.now();
  for (let start = 0; start < p.n_init; start++) {
    const clustering = lloyd(Z, n, width, kmeansPlusPlus(Z, n, width, k, random), k, p.max_iter, tolerance);
    if (!best || clustering.inertia < best.inertia) best = clustering;
    const now = performance.now();
    await onProgress?.({ iteration: start + 1, iterations: p.n_init, loss: clustering.inertia / n, seconds: (now - last) / 1000 });
    last = now;
  }
  const model: KmeansModel = { scaler, centroids: Float32Array.from(best!.centroids), k };
  return {
    onnx: exportKmeans(scaler, model.centroids, k, `mloop kmeans: ${k} clusters, best of ${p.n_init} k-means++ starts`),
    predict: (rows, count) => centroidDistances(model, rows, count).cluster,
    history: [],
    bestIteration: best!.iterations,
    backend: 'js',
    params: { ...p },
    metrics: { inertia: best!.inertia, silhouette: sampledSilhouette(Z, X, n, width, model, p.silhouette_sample, p.seed), n_iter: best!.iterations, clusters: k },
  };
}

/** On at most `size` training rows drawn with the seed, labelled as the model labels them. */
function sampledSilhouette(Z: Float32Array, X: Float32Array, n: number, width: number, model: KmeansModel, size: number, seed: number): number {
  const m = Math.min(size, n);
  const rows = Uint32Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed + 1);
  for (let i = 0; i < m && m < n; i++) {
    const j = i + random.int(n - i);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const raw = new Float32Array(m * width);
  const standardised = new Float32Array(m * width);
  for (let i = 0; i < m; i++) {
    raw.set(X.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
    standardised.set(Z.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  }
  const labels = Int32Array.from(centroidDistances(model, raw, m).cluster);
  return silhouette(standardised, m, width, labels, model.k);
}
