import type { Explainer } from './explainer';

/**
 * What the run page and the report show of a model's explanations on its holdout rows: each feature's
 * mean |contribution| (global importance in the units of the raw score), and for the top features a
 * dependence plot — the feature's value against its contribution, row by row. Computed once at training
 * on an evenly spaced sample of the holdout, small enough to sit in the manifest.
 */
export interface GlobalExplanations {
  rows: number;
  approximate: boolean;
  /** Highest first. */
  importance: Array<{ feature: string; mean_abs: number }>;
  dependence: Array<{ feature: string; points: Array<[number | string, number]> }>;
}

export const IMPORTANCE_ROWS = 1000;
/** A network's sampled Shapley costs hundreds of forward passes a row. */
export const APPROXIMATE_ROWS = 200;
export const DEPENDENCE_FEATURES = 3;
export const DEPENDENCE_POINTS = 200;

/** `valueOf(i, f)`: feature f of holdout row i as the plot's x axis shows it (a number, or a category). */
export function globalExplanations(
  explainer: Explainer,
  X: ArrayLike<number>,
  width: number,
  n: number,
  valueOf: (row: number, feature: string) => number | string,
): GlobalExplanations {
  const F = explainer.features.length;
  const rows = Math.min(n, explainer.approximate ? APPROXIMATE_ROWS : IMPORTANCE_ROWS);
  const picked = Array.from({ length: rows }, (_, k) => Math.floor((k * n) / rows));
  const sums = new Float64Array(F);
  const phis: Float64Array[] = [];
  for (const i of picked) {
    const { phi } = explainer.attribute(X, width, i);
    for (let f = 0; f < F; f++) sums[f] += Math.abs(phi[f]);
    phis.push(phi);
  }
  const order = explainer.features.map((_, f) => f).sort((a, b) => sums[b] - sums[a]);
  const step = Math.max(1, Math.ceil(rows / DEPENDENCE_POINTS));
  return {
    rows,
    approximate: explainer.approximate,
    importance: order.map((f) => ({ feature: explainer.features[f], mean_abs: rows > 0 ? sums[f] / rows : 0 })),
    dependence: order.slice(0, DEPENDENCE_FEATURES).map((f) => {
      const feature = explainer.features[f];
      const points: Array<[number | string, number]> = [];
      for (let k = 0; k < rows; k += step) points.push([valueOf(picked[k], feature), phis[k][f]]);
      return { feature, points };
    }),
  };
}
