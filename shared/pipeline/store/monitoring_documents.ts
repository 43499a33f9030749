import type { FeatureDrift, FeatureQuality, GroupDrift } from '../../monitoring/drift';
import type { EstimatedError } from '../../monitoring/estimated_error';
import type { EstimatedPerformance } from '../../monitoring/estimated_performance';
import type { LabelledError } from '../../monitoring/labelled_error';
import type { PerformanceResult } from '../../monitoring/performance';

/**
 * The documents monitoring keeps, beside the registry's: one report per model per tick, one small
 * document per model that makes retraining once-per-cooldown, and the labels fed back.
 */
export const MONITORING_COLLECTIONS = {
  reports: 'drift_reports',
  monitoring: 'monitoring',
  feedback: 'feedback',
} as const;

/** What a report document keeps of the comparison with the previous window. */
export interface WindowDriftSummary {
  previous_window: { from: string; to: string };
  previous_rows: number;
  min_rows: number;
  status: 'ok' | 'not_enough_data';
  share: number | null;
  /** The `window_drift.share` the share is judged against. */
  drift_share: number;
  dataset_drift: boolean;
  drifted: string[];
  features: FeatureSummary[];
}

/** What a report document keeps of a feature's comparison: the verdict, without counts and histograms. */
export type FeatureSummary = Pick<FeatureDrift, 'name' | 'kind' | 'test' | 'statistic' | 'p_value' | 'threshold' | 'drifted' | 'psi' | 'ignored'> &
  Pick<FeatureQuality, 'issues'>;

export interface DriftReportDoc {
  id: string;
  model: string;
  model_version: string;
  created_at: string;
  window: { from: string; to: string };
  status: 'ok' | 'not_enough_data';
  rows: number;
  min_rows: number;
  share: number | null;
  drift_share: number;
  /** Each group's share, when the reference groups its features (an image model); see monitoring/drift.ts. */
  groups?: GroupDrift[];
  dataset_drift: boolean;
  drifted: string[];
  features: FeatureSummary[];
  prediction: FeatureSummary | null;
  performance: PerformanceResult | null;
  /** A regression's MAE on the labelled predictions against its test MAE (the `performance` alarm of a regression). Absent on older reports and other tasks. */
  labelled_error?: LabelledError | null;
  /** A binary model's ROC AUC and accuracy estimated from its calibrated served scores (CBPE), and what the labels said once fed back. Absent on older reports. */
  estimated_performance?: EstimatedPerformance | null;
  /** A regression's MAE estimated from the served rows by its error model (Direct Loss Estimation), and what the labels said once fed back. Absent on older reports and other tasks. */
  estimated_error?: EstimatedError | null;
  /** Drift against the previous window (skew, against the training reference, is `share`/`drifted` above). Absent on older reports. */
  window_drift?: WindowDriftSummary | null;
  /** Every alarm of the report: skew, drift, estimated_performance, performance. Absent on older reports. */
  alarms?: Array<'skew' | 'drift' | 'estimated_performance' | 'performance'>;
  /** The reason of the drift-detected event this report raised, if it raised one. */
  event: 'drift' | 'performance' | 'estimated_performance' | null;
  files: { json: string; html: string };
  tick_id: string | null;
}

/**
 * Per model: the retraining monitoring last asked for, which the cooldown and the dedupe read, and the
 * newest report, so that `mloop drift` finds it without a query that would need a composite index.
 */
export interface MonitoringDoc {
  model: string;
  last_retrain: { report_id: string; request_id: string; dataset_version: string; reason: string; requested_at: string } | null;
  last_report: { id: string; created_at: string } | null;
  updated_at: string;
}

export interface FeedbackDoc {
  request_id: string;
  index: number;
  /** 0 or 1 for a binary model, the value for a regression. */
  label: number;
  /** Where the label came from: `http`, or the object name of a CSV under feedback/. */
  source: string;
  received_at: string;
}

/** A label names one scored instance: (request id, index in the request). '#' cannot occur in a request id. */
export const feedbackId = (requestId: string, index: number) => `${requestId}#${index}`;
