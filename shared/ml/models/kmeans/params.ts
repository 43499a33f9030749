import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

/** Under scikit-learn's KMeans names, so that a setting carries over. */
export type KmeansParams = {
  n_clusters: number;
  /** k-means++ starts; the one of lowest inertia is kept. */
  n_init: number;
  /** Lloyd iterations per start, at most. */
  max_iter: number;
  /** Converged when the centroids' total squared move is below tol × the features' mean variance (1 once standardised), as scikit-learn's. */
  tol: number;
  /** Training rows the silhouette is measured on (it is quadratic in them): a seeded sample above this. */
  silhouette_sample: number;
  seed: number;
};

export const KMEANS_DEFAULTS: KmeansParams = { n_clusters: 8, n_init: 3, max_iter: 300, tol: 1e-4, silhouette_sample: 2000, seed: 42 };

export function resolveKmeansParams(params: Record<string, unknown>): KmeansParams {
  const p = checkParams('kmeans', KMEANS_DEFAULTS, params);
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  const problems = [
    ...(count(p.n_clusters) && p.n_clusters >= 2 ? [] : [`n_clusters must be an integer ≥ 2, got ${JSON.stringify(p.n_clusters)}`]),
    ...(count(p.n_init) ? [] : [`n_init must be a positive integer, got ${JSON.stringify(p.n_init)}`]),
    ...(count(p.max_iter) ? [] : [`max_iter must be a positive integer, got ${JSON.stringify(p.max_iter)}`]),
    ...(typeof p.tol === 'number' && Number.isFinite(p.tol) && p.tol >= 0 ? [] : [`tol must be a non-negative number, got ${JSON.stringify(p.tol)}`]),
    ...(count(p.silhouette_sample) && p.silhouette_sample >= 2 ? [] : [`silhouette_sample must be an integer ≥ 2, got ${JSON.stringify(p.silhouette_sample)}`]),
    ...(Number.isInteger(p.seed) ? [] : [`seed must be an integer, got ${JSON.stringify(p.seed)}`]),
  ];
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid kmeans parameters: ${problems.join('; ')}`, { issues: problems });
  return p;
}
