import type { FeatureMonitoring } from '../settings';
import { chiSquareStatTest } from './chisquare';
import { jensenShannonStatTest } from './jensenshannon';
import { ksStatTest } from './ks';
import { statTest, type StatTestName } from './registry';
import type { ColumnKind, StatTest } from './stat_test';
import { wassersteinStatTest } from './wasserstein';
import { zStatTest } from './z';

/**
 * The test Evidently picks by default (its `_get_default_stattest`), from the size of the reference
 * (present values) and the number of distinct values in reference and current together:
 *
 * | reference rows | numeric, > 5 values | otherwise (categorical, or ≤ 5 values) |
 * |---|---|---|
 * | ≤ 1000 | KS (drift when p ≤ 0.05) | chi-square (p < 0.05); z-test when ≤ 2 values |
 * | > 1000 | Wasserstein normed by the reference std (≥ 0.1) | Jensen–Shannon distance (≥ 0.1) |
 */
export function defaultStatTest(kind: ColumnKind, referenceRows: number, distinctValues: number): StatTest<StatTestName> {
  const continuous = kind === 'numeric' && distinctValues > 5;
  if (referenceRows <= 1000) return continuous ? ksStatTest : distinctValues > 2 ? chiSquareStatTest : zStatTest;
  return continuous ? wassersteinStatTest : jensenShannonStatTest;
}

export interface StatTestChoice {
  test: StatTest<StatTestName>;
  threshold: number;
  /** Why the configured test was not used. */
  note?: string;
}

/**
 * The test a feature gets: the configured one, or Evidently's default for `auto` and for a test that
 * cannot compare the feature's kind (a threshold set for that test would mean something else for the
 * default, so the default's own threshold goes with it).
 */
export function chooseStatTest(kind: ColumnKind, referenceRows: number, distinctValues: number, config: Pick<FeatureMonitoring, 'method' | 'threshold'>): StatTestChoice {
  const automatic = defaultStatTest(kind, referenceRows, distinctValues);
  if (config.method === 'auto') return { test: automatic, threshold: config.threshold ?? automatic.defaultThreshold };
  const configured = statTest(config.method);
  if (configured.columnKinds.includes(kind)) return { test: configured, threshold: config.threshold ?? configured.defaultThreshold };
  const kinds = configured.columnKinds.join(' and ');
  return { test: automatic, threshold: automatic.defaultThreshold, note: `${configured.name} applies to ${kinds} features only; ${automatic.name} was used` };
}
