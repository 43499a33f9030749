import { z } from 'zod';
import { STAT_TEST_NAMES } from './stattests/registry';

/**
 * The `monitoring` section of a model's mloop.json. Every field has a default, so a model is monitored
 * without one; thresholds and methods can be set per feature.
 */
export const DRIFT_METHODS = ['auto', ...STAT_TEST_NAMES] as const;

export const FeatureMonitoring = z.strictObject({
  /** `auto` picks the test as Evidently does by default (see stattests/select.ts); the others name a test of stattests/registry.ts. */
  method: z.enum(DRIFT_METHODS).default('auto'),
  /** p-value below which (KS: at or below which) a test says drift, or distance from which it does. */
  threshold: z.number().positive().optional(),
  /** Left out of the drift share (its drift is still computed and shown). */
  ignore: z.boolean().default(false),
});
export type FeatureMonitoring = z.infer<typeof FeatureMonitoring>;

/**
 * Drift in the narrow sense: the window against the previous window of the same length (what changed
 * lately), judged apart from skew (the window against the training reference, which `drift_share` and
 * `features` judge), each with its own thresholds.
 */
export const WindowDriftSettings = z.strictObject({
  /** Drift when at least this share of the monitored features moved since the previous window. */
  share: z.number().positive().max(1).default(0.5),
  /** Per feature, the test and threshold of this comparison; a feature not named here is judged as `features` says. */
  features: z.record(z.string(), FeatureMonitoring).default({}),
  /** Both windows need this many logged predictions before drift is judged. */
  min_rows: z.number().int().positive().default(200),
});
export type WindowDriftSettings = z.infer<typeof WindowDriftSettings>;

export const MonitoringSettings = z.strictObject({
  window_hours: z.number().positive().max(24 * 31).default(24),
  /** Fewer logged predictions in the window than this and the report decides nothing. */
  min_rows: z.number().int().positive().default(200),
  /** The dataset drifted when at least this share of the monitored features drifted. */
  drift_share: z.number().positive().max(1).default(0.5),
  /** At most one drift-driven retraining per model within this many hours. */
  retrain_cooldown_hours: z.number().nonnegative().default(6),
  /** Performance drift: live ROC AUC this far below the model's test AUC. */
  auc_drop: z.number().nonnegative().max(1).default(0.05),
  /** Performance drift of a regression: live MAE on the labelled predictions above the test MAE by more than this share of it. */
  mae_rise: z.number().nonnegative().default(0.25),
  /** Performance before labels: the ROC AUC estimated from the calibrated served scores this far below the test AUC. */
  estimated_auc_drop: z.number().nonnegative().max(1).default(0.05),
  /** Performance before labels, regression: the MAE estimated from the served rows (Direct Loss Estimation) above the test MAE by more than this share of it. */
  estimated_mae_rise: z.number().nonnegative().default(0.25),
  /** Labelled predictions needed (for AUC, with both classes present) before performance is judged. */
  min_labels: z.number().int().positive().default(200),
  /** A change of the missing rate by this much (absolute) is flagged as a data-quality issue. */
  missing_rate_change: z.number().positive().max(1).default(0.05),
  features: z.record(z.string(), FeatureMonitoring).default({}),
  window_drift: WindowDriftSettings.default({ share: 0.5, min_rows: 200, features: {} }),
});
export type MonitoringSettings = z.infer<typeof MonitoringSettings>;

export const DEFAULT_MONITORING: MonitoringSettings = MonitoringSettings.parse({});
