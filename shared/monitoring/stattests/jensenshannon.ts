import { shares } from '../shares';
import type { StatTest } from './stat_test';

/**
 * Jensen–Shannon distance in base 2 (so 0 ≤ JS ≤ 1) of counts aligned by category, as Evidently's
 * default calls scipy.spatial.distance.jensenshannon(p, q, base=2): the square root of the mean KL
 * divergence of each side to their midpoint. Empty categories need no smoothing: 0·log 0 counts as 0.
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

export const jensenShannonStatTest: StatTest<'jensenshannon'> = {
  name: 'jensenshannon',
  columnKinds: ['numeric', 'categorical', 'boolean'],
  defaultThreshold: 0.1,
  direction: 'distance',
  driftsAtThreshold: true,
  run: (reference, current) => ({ statistic: jensenShannonDistance(reference.counts, current.counts), pValue: null }),
};
