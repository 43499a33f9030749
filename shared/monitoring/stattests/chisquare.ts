import { sum } from '../shares';
import { chiSquareSf } from '../special_functions';
import type { StatTest } from './stat_test';

/**
 * Pearson's chi-square goodness of fit of the current counts to the reference shares scaled to the
 * current total (scipy.stats.chisquare(f_obs, f_exp)), on counts aligned by category, as Evidently
 * defines it so that thresholds carry over. A category the reference never saw has an expected count
 * of 0 and makes the statistic infinite (p = 0). Categories empty on both sides count for nothing, as
 * they are absent from Evidently's union of values.
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

export const chiSquareStatTest: StatTest<'chisquare'> = {
  name: 'chisquare',
  columnKinds: ['numeric', 'categorical', 'boolean'],
  defaultThreshold: 0.05,
  direction: 'p_value',
  driftsAtThreshold: false,
  run: (reference, current) => chiSquareTest(reference.counts, current.counts),
};
