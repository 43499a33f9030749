import { chiSquareSf, twoSidedNormalP } from './special_functions';

/**
 * Tests on counts per category, aligned: `reference[k]` and `current[k]` count the same category.
 * They follow Evidently's definitions so that thresholds carry over from it.
 */

/**
 * Pearson's chi-square goodness of fit of the current counts to the reference shares scaled to the
 * current total (scipy.stats.chisquare(f_obs, f_exp)); a category the reference never saw has an
 * expected count of 0 and makes the statistic infinite (p = 0). Categories empty on both sides count
 * for nothing, as they are absent from Evidently's union of values.
 */
export function chiSquareTest(reference: ArrayLike<number>, current: ArrayLike<number>): { statistic: number; pValue: number } {
  const referenceTotal = sum(reference);
  const currentTotal = sum(current);
  let statistic = 0;
  let categories = 0;
  for (let k = 0; k < reference.length; k++) {
    if (reference[k] === 0 && current[k] === 0) continue;
    categories++;
    const expected = (reference[k] * currentTotal) / referenceTotal;
    statistic += expected === 0 ? Infinity : (current[k] - expected) ** 2 / expected;
  }
  if (categories < 2) return { statistic: 0, pValue: 1 };
  return { statistic, pValue: statistic === Infinity ? 0 : chiSquareSf(statistic, categories - 1) };
}

/**
 * Two-proportion z-test for a feature with at most two values: the share of the first value (in sorted
 * order, as Evidently takes it) in reference and current, pooled standard error, two-sided p-value.
 */
export function twoProportionZTest(reference: ArrayLike<number>, current: ArrayLike<number>): { statistic: number; pValue: number } {
  const present = [...Array(reference.length).keys()].filter((k) => reference[k] > 0 || current[k] > 0);
  if (present.length < 2) return { statistic: 0, pValue: 1 };
  const n1 = sum(reference);
  const n2 = sum(current);
  const first = present[0];
  const p1 = (n1 - reference[first]) / n1;
  const p2 = (n2 - current[first]) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { statistic: z, pValue: twoSidedNormalP(z) };
}

/**
 * Jensen–Shannon distance in base 2 (so 0 ≤ JS ≤ 1), as Evidently's default calls
 * scipy.spatial.distance.jensenshannon(p, q, base=2): the square root of the mean KL divergence of each
 * side to their midpoint. Empty categories need no smoothing: 0·log 0 counts as 0.
 */
export function jensenShannonDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const p = shares(reference);
  const q = shares(current);
  let divergence = 0;
  for (let k = 0; k < p.length; k++) {
    const mid = (p[k] + q[k]) / 2;
    if (p[k] > 0) divergence += p[k] * Math.log(p[k] / mid);
    if (q[k] > 0) divergence += q[k] * Math.log(q[k] / mid);
  }
  return Math.sqrt(Math.max(0, divergence / 2) / Math.LN2);
}

export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total;
}

export function shares(counts: ArrayLike<number>): Float64Array {
  const total = sum(counts);
  const out = new Float64Array(counts.length);
  if (total > 0) for (let k = 0; k < counts.length; k++) out[k] = counts[k] / total;
  return out;
}
