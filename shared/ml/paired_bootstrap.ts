import { seededRandom } from '../data/random';

/**
 * How sure a promotion can be that the candidate's AUC really differs from production's: the holdout
 * rows are resampled with replacement, both models' AUC is measured on each resample — the same rows for
 * both, which is what makes the bootstrap paired — and the 2.5th and 97.5th percentiles of the
 * differences bound a 95 % interval. An interval that straddles 0 says the gain may be noise.
 *
 * A resample is a vector of row counts, and AUC with counts as weights needs no re-sort: each model's
 * rows are ordered by score once, and every resample is one linear walk per model.
 */
export interface BootstrapInterval {
  /** auc, or any metric measured by pairedBootstrapMetric. */
  metric: string;
  /** candidate − production on the holdout itself. */
  difference: number;
  ci95: [number, number];
  resamples: number;
  seed: number;
}

export function pairedBootstrapAuc(
  y: ArrayLike<number>,
  candidate: ArrayLike<number>,
  production: ArrayLike<number>,
  resamples = 1000,
  seed = 1,
): BootstrapInterval | null {
  const n = y.length;
  const ones = new Float64Array(n).fill(1);
  const c = ranking(y, candidate);
  const p = ranking(y, production);
  const difference = weightedAuc(c, ones) - weightedAuc(p, ones);
  if (!Number.isFinite(difference)) return null;
  const random = seededRandom(seed);
  const weights = new Float64Array(n);
  const differences: number[] = [];
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[random.int(n)]++;
    const d = weightedAuc(c, weights) - weightedAuc(p, weights);
    // A resample with a single class has no AUC: it is left out, as scikit-learn's examples do.
    if (Number.isFinite(d)) differences.push(d);
  }
  if (differences.length === 0) return null;
  differences.sort((a, b) => a - b);
  return { metric: 'auc', difference, ci95: [quantile(differences, 0.025), quantile(differences, 0.975)], resamples, seed };
}

/**
 * The same paired bootstrap for any metric: `measureOn` gives both models' metric on the given rows
 * (indices into the holdout, repeats allowed; null: every row once). Slower than the AUC walk — each
 * resample measures again — which is fine for a classifier's holdout of thousands of rows.
 */
export function pairedBootstrapMetric(
  metric: string,
  n: number,
  measureOn: (rows: Uint32Array | null) => [number, number],
  resamples = 1000,
  seed = 1,
): BootstrapInterval | null {
  const [c, p] = measureOn(null);
  const difference = c - p;
  if (!Number.isFinite(difference) || n === 0) return null;
  const random = seededRandom(seed);
  const rows = new Uint32Array(n);
  const differences: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) rows[i] = random.int(n);
    const [cr, pr] = measureOn(rows);
    if (Number.isFinite(cr - pr)) differences.push(cr - pr);
  }
  if (differences.length === 0) return null;
  differences.sort((a, b) => a - b);
  return { metric, difference, ci95: [quantile(differences, 0.025), quantile(differences, 0.975)], resamples, seed };
}

/** One model's rows in score order, with what a walk over them needs and nothing it must look up. */
export interface Ranking {
  order: Uint32Array;
  positive: Uint8Array;
  /** 1 where the next row in order has the same score: tied rows are one group. */
  tiedWithNext: Uint8Array;
}

export function ranking(y: ArrayLike<number>, scores: ArrayLike<number>): Ranking {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  const positive = new Uint8Array(n);
  const tiedWithNext = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    positive[k] = y[order[k]] === 1 ? 1 : 0;
    if (k + 1 < n && scores[order[k + 1]] === scores[order[k]]) tiedWithNext[k] = 1;
  }
  return { order, positive, tiedWithNext };
}

/** Mann–Whitney AUC with row weights; tied scores count one half. */
export function weightedAuc({ order, positive, tiedWithNext }: Ranking, weights: ArrayLike<number>): number {
  let negativesBelow = 0;
  let positives = 0;
  let area = 0;
  let groupPos = 0;
  let groupNeg = 0;
  for (let k = 0; k < order.length; k++) {
    const w = weights[order[k]];
    if (positive[k] === 1) groupPos += w;
    else groupNeg += w;
    if (tiedWithNext[k] === 0) {
      area += groupPos * (negativesBelow + groupNeg / 2);
      negativesBelow += groupNeg;
      positives += groupPos;
      groupPos = 0;
      groupNeg = 0;
    }
  }
  return positives === 0 || negativesBelow === 0 ? NaN : area / (positives * negativesBelow);
}

/** Linear interpolation between order statistics (numpy's default). */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}
