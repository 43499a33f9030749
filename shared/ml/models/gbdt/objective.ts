import { OBJECTIVE_CODES, rowLoss } from './shard_ops';

/**
 * The three losses the trees are boosted on, as LightGBM defines them: binary logloss on a logit,
 * softmax over one raw score per class, and squared error. Raw scores are class-major ([K × n], class k
 * of row i at k·n + i), so a tree of class k reads one contiguous slice. Gradients and per-row losses
 * are computed where the rows are, in the shards (shard_ops.ts); here is where boosting starts.
 */
export type ObjectiveName = 'binary' | 'multiclass' | 'regression';

export interface Objective {
  /** The best constant raw score per class, where boosting starts. */
  initScore(y: Float32Array, n: number): Float64Array;
  /** Mean loss of the raw scores over the given rows: unweighted, as LightGBM's metrics. */
  loss(scores: Float64Array, y: Float32Array, n: number, rows: Uint32Array): number;
}

const EPS = 1e-15;

function initScore(name: ObjectiveName, y: Float32Array, n: number, K: number, scalePosWeight: number): Float64Array {
  if (name === 'binary') {
    let positive = 0;
    for (let i = 0; i < n; i++) positive += y[i];
    const weighted = positive * scalePosWeight;
    const p = Math.min(1 - EPS, Math.max(EPS, weighted / (weighted + n - positive)));
    return Float64Array.of(Math.log(p / (1 - p)));
  }
  if (name === 'multiclass') {
    const counts = new Float64Array(K);
    for (let i = 0; i < n; i++) counts[y[i]]++;
    return counts.map((c) => Math.log(Math.max(EPS, c / n)));
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += y[i];
  return Float64Array.of(n > 0 ? sum / n : 0);
}

export function objectiveFor(name: ObjectiveName, opts: { numClass: number; scalePosWeight: number }): Objective {
  const code = OBJECTIVE_CODES[name];
  const K = opts.numClass;
  return {
    initScore: (y, n) => initScore(name, y, n, K, opts.scalePosWeight),
    loss(scores, y, n, rows) {
      let sum = 0;
      for (let k = 0; k < rows.length; k++) sum += rowLoss(code, scores, y, n, K, rows[k]);
      return sum / rows.length;
    },
  };
}
