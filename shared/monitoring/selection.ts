import type { DriftTest } from './settings';

/**
 * The test Evidently picks by default (its `_get_default_stattest`), from the size of the reference
 * (present values) and the number of distinct values in reference and current together:
 *
 * | reference rows | numeric, > 5 values | otherwise (categorical, or ≤ 5 values) |
 * |---|---|---|
 * | ≤ 1000 | KS (drift when p ≤ 0.05) | chi-square (p < 0.05); z-test when ≤ 2 values |
 * | > 1000 | Wasserstein normed by the reference std (≥ 0.1) | Jensen–Shannon distance (≥ 0.1) |
 */
export function defaultTest(kind: 'numeric' | 'categorical' | 'boolean', referenceRows: number, distinctValues: number): DriftTest {
  const continuous = kind === 'numeric' && distinctValues > 5;
  if (referenceRows <= 1000) return continuous ? 'ks' : distinctValues > 2 ? 'chisquare' : 'z';
  return continuous ? 'wasserstein' : 'jensenshannon';
}

export const DEFAULT_THRESHOLDS: Record<DriftTest, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/** p-value tests drift below their threshold (KS at or below, as Evidently); distances from it up. */
export function isDrift(test: DriftTest, statistic: number, pValue: number | null, threshold: number): boolean {
  if (test === 'ks') return pValue! <= threshold;
  if (test === 'chisquare' || test === 'z') return pValue! < threshold;
  return statistic >= threshold;
}

export function isNumericOnly(test: DriftTest): boolean {
  return test === 'ks' || test === 'wasserstein';
}
