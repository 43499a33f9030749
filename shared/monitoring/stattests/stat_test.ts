import type { SampleGaps } from '../sample_gaps';

/**
 * A drift test, as Evidently's stattests declare one: its name (what mloop.json's `method` says), the
 * kinds of column it can compare, the threshold it uses unless told otherwise, and which way its result
 * says drift. Each test is one file in this folder exporting one descriptor; registry.ts lists them.
 */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean';

/** One side of a comparison, in the two forms the tests read. */
export interface Side {
  /** A numeric feature's values, sorted ascending and free of NaN; null for other kinds. */
  sorted: ArrayLike<number> | null;
  /** Counts over the bins both sides share (aligned_counts.ts). */
  counts: ArrayLike<number>;
  /** Many unsorted current values: KS's and Wasserstein's statistics against the reference sample, without sorting them. */
  gaps?: () => SampleGaps;
}

export interface ReferenceSide extends Side {
  /** Population standard deviation of every reference value (not only of `sorted`, a sample on the tick); null for other kinds. */
  std: number | null;
}

export interface StatResult {
  /** Infinite when a category the reference never saw makes the test certain. */
  statistic: number;
  /** null for the distance tests. */
  pValue: number | null;
}

export interface StatTest<Name extends string = string> {
  readonly name: Name;
  readonly columnKinds: readonly ColumnKind[];
  readonly defaultThreshold: number;
  /** `p_value`: drift when the p-value falls below the threshold; `distance`: when the statistic reaches it. */
  readonly direction: 'p_value' | 'distance';
  /** Whether a result exactly at the threshold is drift: yes for distances and for KS (Evidently's `p_value <= threshold`), not for chi-square or z. */
  readonly driftsAtThreshold: boolean;
  run(reference: ReferenceSide, current: Side): StatResult;
}

export function isDrift(test: StatTest, result: StatResult, threshold: number): boolean {
  if (test.direction === 'distance') return test.driftsAtThreshold ? result.statistic >= threshold : result.statistic > threshold;
  const p = result.pValue!;
  return test.driftsAtThreshold ? p <= threshold : p < threshold;
}

/** The sorted values of a numeric side: a test's column kinds keep other sides from reaching it, so none is a caller's bug. */
export function sortedValues(side: Side, testName: string): ArrayLike<number> {
  if (!side.sorted) throw new TypeError(`${testName} compares the values of numeric features only`);
  return side.sorted;
}
