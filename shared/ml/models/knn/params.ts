import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

/** Under scikit-learn's KNeighbors names where they exist, so that a setting carries over. */
export type KnnParams = {
  /** Neighbours that vote; 0 picks by the rows stored: √rows / 4, between 5 and 50. */
  k: number;
  distance: 'euclidean' | 'manhattan';
  /** 'distance': a neighbour weighs 1 / its distance (an exact match outweighs every other). */
  weights: 'uniform' | 'distance';
  /**
   * The most values (rows × encoded columns) the model stores, and so its ONNX carries (4 bytes each)
   * and every prediction reads. Above it, a sample of the training rows is stored, stratified on the
   * class; the model's metrics record how many rows were stored out of how many.
   */
  max_stored_values: number;
  /** Draws that sample. */
  seed: number;
};

export const KNN_DEFAULTS: KnnParams = { k: 0, distance: 'euclidean', weights: 'uniform', max_stored_values: 1_000_000, seed: 42 };

/** The k that k = 0 stands for: enough neighbours for a smooth probability on large data, never fewer than 5. */
export const autoK = (rows: number) => Math.min(50, Math.max(5, Math.round(Math.sqrt(rows) / 4)));

export function resolveKnnParams(params: Record<string, unknown>): KnnParams {
  const p = checkParams('knn', KNN_DEFAULTS, params);
  const problems: string[] = [];
  if (!Number.isInteger(p.k) || p.k < 0) problems.push(`k must be a non-negative integer (0: automatic), got ${JSON.stringify(p.k)}`);
  if (p.distance !== 'euclidean' && p.distance !== 'manhattan') problems.push(`distance must be "euclidean" or "manhattan", got ${JSON.stringify(p.distance)}`);
  if (p.weights !== 'uniform' && p.weights !== 'distance') problems.push(`weights must be "uniform" or "distance", got ${JSON.stringify(p.weights)}`);
  if (!Number.isInteger(p.max_stored_values) || p.max_stored_values < 1) problems.push(`max_stored_values must be a positive integer, got ${JSON.stringify(p.max_stored_values)}`);
  if (!Number.isInteger(p.seed)) problems.push(`seed must be an integer, got ${JSON.stringify(p.seed)}`);
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid knn parameters: ${problems.join('; ')}`, { issues: problems });
  return p;
}
