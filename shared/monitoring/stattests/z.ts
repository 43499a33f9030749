import { sum } from '../shares';
import { twoSidedNormalP } from '../special_functions';
import type { StatTest } from './stat_test';

/**
 * Two-proportion z-test for a feature with at most two values, on counts aligned by category: the
 * share of the first value (in sorted order, as Evidently takes it) in reference and current, pooled
 * standard error, two-sided p-value.
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

export const zStatTest: StatTest<'z'> = {
  name: 'z',
  columnKinds: ['numeric', 'categorical', 'boolean'],
  defaultThreshold: 0.05,
  direction: 'p_value',
  driftsAtThreshold: false,
  run: (reference, current) => twoProportionZTest(reference.counts, current.counts),
};
