import { sortedValues, type StatTest } from './stat_test';

/**
 * The first Wasserstein (earth mover's) distance between two samples, ∫|F_a − F_b|, as
 * scipy.stats.wasserstein_distance computes it: walk the merged sorted values and add the CDF gap times
 * the width of each step. Both inputs must be sorted ascending and free of NaN.
 */
export function wassersteinDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new RangeError('the Wasserstein distance needs two non-empty samples');
  let i = 0;
  let j = 0;
  let total = 0;
  let previous = Math.min(a[0], b[0]);
  while (i < a.length || j < b.length) {
    const value = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    total += Math.abs(i / a.length - j / b.length) * (value - previous);
    previous = value;
    while (i < a.length && a[i] === value) i++;
    while (j < b.length && b[j] === value) j++;
  }
  return total;
}

/**
 * Evidently's "Wasserstein distance (normed)": the distance in units of the reference's standard
 * deviation (population, ddof 0), with a floor of 0.001 so that a near-constant reference does not
 * turn every wiggle into drift.
 */
export function normedWasserstein(reference: ArrayLike<number>, current: ArrayLike<number>, referenceStd: number): number {
  return wassersteinDistance(reference, current) / Math.max(referenceStd, 0.001);
}

export const wassersteinStatTest: StatTest<'wasserstein'> = {
  name: 'wasserstein',
  columnKinds: ['numeric'],
  defaultThreshold: 0.1,
  direction: 'distance',
  driftsAtThreshold: true,
  run(reference, current) {
    if (reference.std === null) throw new TypeError('wasserstein needs the standard deviation of a numeric reference');
    const gaps = current.gaps?.();
    if (gaps) return { statistic: gaps.wasserstein / Math.max(reference.std, 0.001), pValue: null };
    return { statistic: normedWasserstein(sortedValues(reference, 'wasserstein'), sortedValues(current, 'wasserstein'), reference.std), pValue: null };
  },
};
