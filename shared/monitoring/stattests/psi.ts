import { shares } from '../shares';
import type { StatTest } from './stat_test';

/**
 * Population Stability Index: Σ (r − c)·ln(r / c) over aligned bins of reference shares r and current
 * shares c. A bin empty on one side would make it infinite, so, exactly as Evidently does, each side's
 * empty bins get a share of 0.0001 — or, when that side's smallest non-empty share is itself at most
 * 0.0001, that share divided by 10⁶ — without renormalising.
 *
 * The bins are the caller's: for a categorical feature the reference's categories plus one "other"
 * bin; for a numeric one the reference deciles (see decile_bins.ts), which keep PSI meaningful on skewed
 * amounts where equal-width bins would put nearly everything in the first bin.
 */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const r = fillEmpty(shares(reference));
  const c = fillEmpty(shares(current));
  let psi = 0;
  for (let k = 0; k < r.length; k++) psi += (r[k] - c[k]) * Math.log(r[k] / c[k]);
  return psi;
}

const PSI_EPSILON = 0.0001;

function fillEmpty(p: Float64Array): Float64Array {
  let smallest = Infinity;
  for (const v of p) if (v > 0 && v < smallest) smallest = v;
  if (smallest === Infinity) return p;
  const fill = smallest <= PSI_EPSILON ? smallest / 1e6 : PSI_EPSILON;
  for (let k = 0; k < p.length; k++) if (p[k] === 0) p[k] = fill;
  return p;
}

export const psiStatTest: StatTest<'psi'> = {
  name: 'psi',
  columnKinds: ['numeric', 'categorical', 'boolean'],
  defaultThreshold: 0.1,
  direction: 'distance',
  driftsAtThreshold: true,
  run: (reference, current) => ({ statistic: populationStabilityIndex(reference.counts, current.counts), pValue: null }),
};
