import type { ColumnData } from '../data/column_summary';
import { alignedCounts, formatNumber } from './aligned_counts';
import type { FeatureProfile, ReferenceProfile } from './reference_profile';
import type { FeatureMonitoring, MonitoringSettings } from './settings';
import { shares } from './shares';
import { populationStabilityIndex } from './stattests/psi';
import type { StatTestName } from './stattests/registry';
import { chooseStatTest } from './stattests/select';
import { sampleGaps, type SampleGaps } from './sample_gaps';
import { isDrift, type ReferenceSide, type Side } from './stattests/stat_test';

/**
 * Compares a window of live values with the reference profile, feature by feature: the drift test
 * (chosen as Evidently chooses, or as configured), PSI for every feature, data quality (missing rate,
 * values outside the training range, unseen categories) and the drift of the model's scores. Pure: the
 * tick, `mloop drift compare` and the benchmark all call this.
 */
export interface CurrentData {
  rows: number;
  features: ReadonlyMap<string, ColumnData>;
  /** Scores of the production version in the window; null when not comparable (no profile, other data). */
  scores: Float64Array | null;
}

export interface FeatureQuality {
  missing_rate: { reference: number; current: number };
  out_of_range?: { count: number; share: number; min: number; max: number };
  unseen?: { count: number; share: number; values: Array<[string, number]> };
  issues: string[];
}

export interface FeatureDrift {
  name: string;
  kind: FeatureProfile['kind'];
  test: StatTestName | null;
  /** null when the test had nothing to compare, or its statistic is infinite (a category never seen). */
  statistic: number | null;
  p_value: number | null;
  threshold: number | null;
  drifted: boolean;
  psi: number | null;
  ignored: boolean;
  reference_count: number;
  current_count: number;
  quality: FeatureQuality;
  histogram: { labels: string[]; reference: number[]; current: number[] };
  note?: string;
}

/** One group of a grouped profile (an image model's properties, its outputs), judged on its own. */
export interface GroupDrift {
  name: string;
  /** Monitored (not ignored, testable) features of the group, and those of them that drifted. */
  monitored: number;
  drifted: string[];
  share: number;
}

export interface DriftResult {
  rows: number;
  /** Share of the monitored (not ignored, testable) features that drifted; grouped, the largest group share. */
  share: number;
  /** Present when the profile groups its features: dataset drift when any group's share reaches drift_share. */
  groups?: GroupDrift[];
  drift_share: number;
  dataset_drift: boolean;
  drifted: string[];
  features: FeatureDrift[];
  prediction: FeatureDrift | null;
}

type Settings = Pick<MonitoringSettings, 'drift_share' | 'missing_rate_change' | 'features'>;

export function compareToReference(reference: ReferenceProfile, current: CurrentData, settings: Settings): DriftResult {
  const features = reference.features.map((profile) => {
    const column = current.features.get(profile.name) ?? emptyLike(profile);
    return compareFeature(profile, column, settings.features[profile.name] ?? { method: 'auto', ignore: false }, settings.missing_rate_change);
  });
  const monitored = features.filter((f) => !f.ignored && f.test !== null);
  const drifted = monitored.filter((f) => f.drifted).map((f) => f.name);
  const groups = reference.groups?.map((group): GroupDrift => {
    const members = monitored.filter((f) => group.features.includes(f.name));
    const moved = members.filter((f) => f.drifted).map((f) => f.name);
    return { name: group.name, monitored: members.length, drifted: moved, share: members.length > 0 ? moved.length / members.length : 0 };
  });
  const share = groups ? Math.max(0, ...groups.map((g) => g.share)) : monitored.length > 0 ? drifted.length / monitored.length : 0;
  const prediction =
    reference.scores && current.scores
      ? compareFeature(reference.scores, { kind: 'numeric', values: current.scores, missing: 0 }, { method: 'auto', ignore: false }, settings.missing_rate_change)
      : null;
  return {
    rows: current.rows,
    share,
    ...(groups ? { groups } : {}),
    drift_share: settings.drift_share,
    dataset_drift: groups ? groups.some((g) => g.monitored > 0 && g.share >= settings.drift_share) : monitored.length > 0 && share >= settings.drift_share,
    drifted,
    features,
    prediction,
  };
}

function emptyLike(profile: FeatureProfile): ColumnData {
  return profile.kind === 'numeric' ? { kind: 'numeric', values: new Float64Array(0), missing: 0 } : { kind: profile.kind, counts: new Map(), missing: 0 };
}

export function compareFeature(profile: FeatureProfile, column: ColumnData, config: FeatureMonitoring, missingRateChange: number): FeatureDrift {
  const counts = alignedCounts(profile, column);
  const currentCount = present(column);
  const base = {
    name: profile.name,
    kind: profile.kind,
    ignored: config.ignore,
    reference_count: profile.count,
    current_count: currentCount,
    quality: quality(profile, column, currentCount, missingRateChange),
    histogram: { labels: counts.labels, reference: Array.from(shares(counts.reference)), current: Array.from(shares(counts.current)) },
  };
  if (profile.count === 0 || currentCount === 0) {
    const note = profile.count === 0 ? 'the reference has no values' : 'no values in the window';
    return { ...base, test: null, statistic: null, p_value: null, threshold: null, drifted: false, psi: null, note };
  }
  const { test, threshold, note } = chooseStatTest(profile.kind, profile.count, distinctValues(profile, column), config);
  const reference: ReferenceSide = profile.kind === 'numeric' ? { sorted: profile.sample, counts: counts.reference, std: profile.std } : { sorted: null, counts: counts.reference, std: null };
  const current = currentSide(profile, column, counts.current);
  const result = test.run(reference, current);
  return {
    ...base,
    test: test.name,
    statistic: Number.isFinite(result.statistic) ? result.statistic : null,
    p_value: result.pValue,
    threshold,
    drifted: isDrift(test, result, threshold),
    psi: populationStabilityIndex(counts.reference, counts.current),
    ...(note ? { note } : {}),
  };
}

/** Above this many values the current side is not sorted (KS's p-value is asymptotic there anyway). */
const SORT_FREE_ABOVE = 10_000;

/** The current side, sorted only when a test reads its sorted values (and then in place, once). */
function currentSide(profile: FeatureProfile, column: ColumnData, counts: number[]): Side {
  if (column.kind !== 'numeric') return { sorted: null, counts };
  let sorted: Float64Array | Float32Array | null = null;
  let gaps: SampleGaps | null = null;
  const many = profile.kind === 'numeric' && profile.sample.length > 0 && column.values.length > SORT_FREE_ABOVE;
  return {
    get sorted() {
      return (sorted ??= column.values.sort());
    },
    counts,
    ...(many ? { gaps: () => (gaps ??= sampleGaps((profile as Extract<FeatureProfile, { kind: 'numeric' }>).sample, column.values)) } : {}),
  };
}

function present(column: ColumnData): number {
  if (column.kind === 'numeric') return column.values.length;
  let total = 0;
  for (const n of column.counts.values()) total += n;
  return total;
}

/** Distinct values of reference and current together, counted only as far as the test choice needs (6). */
function distinctValues(profile: FeatureProfile, column: ColumnData): number {
  if (profile.kind === 'numeric') {
    if (!profile.values || column.kind !== 'numeric') return profile.unique;
    const seen = new Set(profile.values.map(([v]) => v));
    for (let i = 0; i < column.values.length && seen.size <= 5; i++) seen.add(column.values[i]);
    return seen.size;
  }
  if (column.kind === 'numeric') return profile.unique;
  const seen = new Set(profile.categories.map(([name]) => name));
  for (const key of column.counts.keys()) seen.add(key);
  return seen.size + (profile.other > 0 ? profile.unique - profile.categories.length : 0);
}

function quality(profile: FeatureProfile, column: ColumnData, currentCount: number, missingRateChange: number): FeatureQuality {
  const rate = (missing: number, count: number) => (missing + count > 0 ? missing / (missing + count) : 0);
  const missingRate = { reference: rate(profile.missing, profile.count), current: rate(column.missing, currentCount) };
  const issues: string[] = [];
  if (Math.abs(missingRate.current - missingRate.reference) >= missingRateChange) {
    issues.push(`missing rate ${percent(missingRate.reference)} → ${percent(missingRate.current)}`);
  }
  const result: FeatureQuality = { missing_rate: missingRate, issues };
  if (profile.kind === 'numeric' && column.kind === 'numeric') {
    if (profile.count === 0) return result;
    let count = 0;
    let min = Infinity;
    let max = -Infinity;
    // The train job stores values as float32, so the training extremes may sit ~1e-7 (relative) inside the values they were read from.
    const low = profile.min - Math.abs(profile.min) * 1e-6;
    const high = profile.max + Math.abs(profile.max) * 1e-6;
    const live = column.values;
    for (let i = 0; i < live.length; i++) {
      const v = live[i];
      if (v < low || v > high) count++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    result.out_of_range = { count, share: currentCount > 0 ? count / currentCount : 0, min: currentCount > 0 ? min : 0, max: currentCount > 0 ? max : 0 };
    if (count > 0) issues.push(`${values(count)} (${percent(count / currentCount)}) outside the training range [${formatNumber(profile.min)}, ${formatNumber(profile.max)}]`);
  } else if (profile.kind !== 'numeric' && column.kind !== 'numeric') {
    const known = new Set(profile.categories.map(([name]) => name));
    const unseen = [...column.counts].filter(([key]) => !known.has(key)).sort((a, b) => b[1] - a[1]);
    const count = unseen.reduce((sum, [, n]) => sum + n, 0);
    result.unseen = { count, share: currentCount > 0 ? count / currentCount : 0, values: unseen.slice(0, 10) };
    if (count > 0) {
      const what = profile.other > 0 ? `not among the ${profile.categories.length} most frequent training categories` : 'never seen in training';
      issues.push(`${values(count)} (${percent(count / currentCount)}) ${what}: ${unseen.slice(0, 3).map(([k]) => k).join(', ')}`);
    }
  }
  return result;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
const values = (n: number) => `${n} value${n === 1 ? '' : 's'}`;
