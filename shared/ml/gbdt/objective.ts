/**
 * The three losses the trees are boosted on, as LightGBM defines them: binary logloss on a logit,
 * softmax over one raw score per class, and squared error. Raw scores are class-major ([K × n], class k
 * of row i at k·n + i), so a tree of class k reads one contiguous slice. Their gradients are computed
 * where the rows are, in the shards (shard_ops.ts).
 */
export type ObjectiveName = 'binary' | 'multiclass' | 'regression';

export interface Objective {
  readonly name: ObjectiveName;
  /** Raw scores per row, and trees per round. */
  readonly numClass: number;
  /** The best constant raw score per class, where boosting starts. */
  initScore(y: Float32Array, n: number): Float64Array;
  /**
   * Mean loss of the raw scores over the given rows (all n when null): binary or multi logloss, or
   * squared error; unweighted, as LightGBM's metrics.
   */
  loss(scores: Float64Array, y: Float32Array, n: number, rows: Uint32Array | null): number;
}

const EPS = 1e-15;

function binaryObjective(scalePosWeight: number): Objective {
  return {
    name: 'binary',
    numClass: 1,
    initScore(y, n) {
      let positive = 0;
      for (let i = 0; i < n; i++) positive += y[i];
      const weighted = positive * scalePosWeight;
      const p = Math.min(1 - EPS, Math.max(EPS, weighted / (weighted + n - positive)));
      return Float64Array.of(Math.log(p / (1 - p)));
    },
    loss(scores, y, n, rows) {
      const m = rows ? rows.length : n;
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k;
        const z = scores[i];
        // log(1 + e^z) − y·z without overflow
        sum += Math.max(z, 0) - y[i] * z + Math.log1p(Math.exp(-Math.abs(z)));
      }
      return sum / m;
    },
  };
}

function multiclassObjective(K: number): Objective {
  const prob = new Float64Array(K);
  /** Softmax of row i into `prob`. */
  const softmax = (scores: Float64Array, n: number, i: number) => {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, scores[k * n + i]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += prob[k] = Math.exp(scores[k * n + i] - max);
    for (let k = 0; k < K; k++) prob[k] /= sum;
  };
  return {
    name: 'multiclass',
    numClass: K,
    initScore(y, n) {
      const counts = new Float64Array(K);
      for (let i = 0; i < n; i++) counts[y[i]]++;
      return counts.map((c) => Math.log(Math.max(EPS, c / n)));
    },
    loss(scores, y, n, rows) {
      const m = rows ? rows.length : n;
      let sum = 0;
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k;
        softmax(scores, n, i);
        sum -= Math.log(Math.max(EPS, prob[y[i]]));
      }
      return sum / m;
    },
  };
}

const regressionObjective: Objective = {
  name: 'regression',
  numClass: 1,
  initScore(y, n) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += y[i];
    return Float64Array.of(n > 0 ? sum / n : 0);
  },
  loss(scores, y, n, rows) {
    const m = rows ? rows.length : n;
    let sum = 0;
    for (let k = 0; k < m; k++) {
      const i = rows ? rows[k] : k;
      sum += (scores[i] - y[i]) ** 2;
    }
    return sum / m;
  },
};

export function objectiveFor(name: ObjectiveName, opts: { numClass: number; scalePosWeight: number }): Objective {
  if (name === 'binary') return binaryObjective(opts.scalePosWeight);
  if (name === 'multiclass') return multiclassObjective(opts.numClass);
  return regressionObjective;
}
