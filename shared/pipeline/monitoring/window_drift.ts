import { compareToReference, type CurrentData, type DriftResult } from '../../monitoring/drift';
import { buildReference, type ReferenceProfile } from '../../monitoring/reference_profile';
import type { MonitoringSettings } from '../../monitoring/settings';
import type { Context } from '../context';
import { scanWindow } from './prediction_window';

/**
 * Drift as distinct from skew: the current window against the one before it, of the same length, with
 * the same tests and the `window_drift` thresholds. The previous window is profiled from the prediction
 * log as the training reference is profiled from the training split, so the comparison is the one skew
 * makes, only against what was served just before.
 */
export interface WindowDrift {
  previous_window: { from: string; to: string };
  previous_rows: number;
  min_rows: number;
  /** null: one of the windows had fewer than `min_rows` logged predictions. */
  result: DriftResult | null;
}

export async function compareWithPreviousWindow(
  ctx: Context,
  model: string,
  version: string,
  window: { from: Date; to: Date },
  reference: ReferenceProfile,
  current: CurrentData,
  settings: MonitoringSettings,
): Promise<WindowDrift> {
  const length = window.to.getTime() - window.from.getTime();
  // the previous window ends a millisecond before this one starts: a logged row is in one window only
  const previous = { from: new Date(window.from.getTime() - length), to: new Date(window.from.getTime() - 1) };
  const scan = await scanWindow(ctx, model, previous, reference.features, version, new Map(), reference.prediction_fields);
  const { window_drift: thresholds } = settings;
  const base = { previous_window: { from: previous.from.toISOString(), to: previous.to.toISOString() }, previous_rows: scan.current.rows, min_rows: thresholds.min_rows };
  if (scan.current.rows < thresholds.min_rows || current.rows < thresholds.min_rows) return { ...base, result: null };
  const columns = reference.features.map((f) => ({ name: f.name, ...scan.current.features.get(f.name)! }));
  const profile = buildReference(columns, scan.current.scores);
  const features = { ...settings.features, ...thresholds.features };
  const result = compareToReference(profile, current, { drift_share: thresholds.share, missing_rate_change: settings.missing_rate_change, features });
  return { ...base, result };
}
