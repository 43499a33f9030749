import type { CostEstimate, RunResources } from '../../core/cost';
import type { Metrics, TrainingOverrides, TrainingReason } from '../../core/events';
import type { ValidationReport } from '../../data/csv_validation';
import type { ImageValidationReport } from '../../data/images/dataset';
import type { TrialRecord } from '../../ml/sweep';
import type { TrainProgress } from '../../ml/trained_model';
import type { Selection } from '../../ml/selection';
import type { DatasetConfig, DatasetKind, PromotionConfig } from '../dataset_config';
import type { RunPlan } from '../training/training_plan';
import type { ClassChange } from '../decisions/class_change';

/**
 * The documents mloop keeps, one collection each, as in Firestore. Field names are snake_case
 * because they are also what `--json` prints and what the admin API returns.
 */
export const COLLECTIONS = {
  datasets: 'datasets',
  runs: 'runs',
  models: 'models',
  versions: 'model_versions',
  decisions: 'decisions',
} as const;

export interface DatasetDoc {
  model: string;
  version: string;
  status: 'accepted' | 'rejected';
  reason?: string;
  object: { bucket: string; name: string; generation: string; md5Hash: string; size: number };
  /** What was uploaded: absent for a CSV (documents written before images were), `images` for an archive. */
  kind?: DatasetKind;
  header?: string[];
  /** The model's mloop.json as validated when the file arrived (defaults filled, `search` in full form). */
  config?: DatasetConfig;
  /** DATASET_CONFIG_VERSION when `config` is the typed form; absent on documents written before it was. */
  config_version?: number;
  /** Rows a model can be trained on, and rows rejected (with lines and reasons in the report). */
  rows?: number;
  rejected_count?: number;
  /** The validation report; without its columns when it is large, and then whole at `report_object`. */
  report?: Omit<ValidationReport, 'columns'> & { columns?: ValidationReport['columns'] };
  /** `<bucket>/<name>` of the whole report in the artifacts bucket. */
  report_object?: string;
  /** An archive of images: images a model can be trained on, and the scan's report (classes, rejections with reasons). */
  images?: number;
  image_report?: ImageValidationReport;
  created_at: string;
  /**
   * mloop.json's `compose: "all"`: the accepted uploads this dataset is the union of, by version; and
   * the uploads left out of it, with why.
   */
  members?: Array<{ version: string; object: string; rows?: number; images?: number }>;
  left_out?: Array<{ version: string; object: string; reason: string }>;
  /** A retraining dataset: the upload it extends with the labelled predictions of a drift report's window. */
  derived_from?: { dataset_version: string; report_id: string; feedback_rows: number };
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ExecutionRecord {
  id: string;
  attempt: number;
  started_at: string;
  state?: string;
  error?: string;
  log_uri?: string;
}

/** A trainer's last progress report as the run document keeps it, with its unit and, in a sweep, its trial. */
export interface RunProgress extends Omit<TrainProgress, 'seconds'> {
  /** Networks train in epochs; trees and forests grow one iteration (round, tree) at a time. */
  unit: 'epoch' | 'iteration';
  seconds?: number;
  /** In a sweep: the trial this is about (0-based), of how many. */
  trial?: number;
  trials?: number;
}

/**
 * A sweep split over the tasks of one job execution: each task adds its trials and its index when done;
 * the task that completes the set becomes the finisher, the only one that publishes the outcome.
 */
export interface SweepState {
  attempt: number;
  tasks: number;
  done: number[];
  /** By trial number. */
  trials: Record<string, TrialRecord & { task: number }>;
  finisher: number | null;
}

export interface RunDoc {
  id: string;
  model: string;
  model_version: string;
  dataset_version: string;
  request_id: string;
  reason: TrainingReason;
  requested_by?: string | null;
  note?: string | null;
  status: RunStatus;
  attempt: number;
  max_attempts: number;
  execution_id?: string | null;
  executions: ExecutionRecord[];
  /** The attempt whose job has already published its training-completed event. */
  reported_attempt?: number;
  progress?: RunProgress | null;
  /** What the training request asked for, over the dataset's mloop.json. */
  training?: TrainingOverrides | null;
  /**
   * What the run trains, resolved when the run is created from the dataset's config and `training`;
   * absent on runs created before it was stored (store/stored_config.ts resolves those when read).
   */
  plan?: RunPlan;
  /** The dataset's promotion policy, settled with the run; the deployment's defaults fill what it leaves out. */
  promotion?: PromotionConfig;
  sweep?: SweepState | null;
  /** When `auto` chose the family: each candidate's validation score, time and parameters, or why it did not train. */
  selection?: Selection | null;
  metrics?: Metrics | null;
  backend?: string;
  /** An image run: whether it started from production's weights (`from`), or why not. */
  warm_start?: { used: boolean; from?: string; reason?: string } | null;
  decision_id?: string;
  /** Decisions about this run's candidate that another promotion overtook, oldest first; `decision_id` is the final one. */
  superseded_decisions?: string[];
  promoted?: boolean;
  error?: string | null;
  created_at: string;
  claimed_at?: string;
  started_at?: string;
  finished_at?: string;
  /** Fitting and evaluating, as the job measured it; `duration_seconds` is the whole run. */
  training_seconds?: number;
  duration_seconds?: number;
  resources?: RunResources;
  cost_estimate?: CostEstimate;
}

export interface ModelDoc {
  name: string;
  production_version: string | null;
  previous_version: string | null;
  next_version: number;
  /** `champion` follows production; others are free names a person sets. */
  aliases?: Record<string, string>;
  /** A promotion still in its canary: `version` (production) answers `percent` % of requests, `previous_version` the rest. */
  canary?: CanaryState | null;
  updated_at: string;
}

export interface CanaryState {
  version: string;
  previous_version: string;
  percent: number;
  started_at: string;
}

export type Stage = 'candidate' | 'production' | 'archived' | 'rejected';

export interface ModelVersionDoc {
  model: string;
  version: string;
  stage: Stage;
  run_id: string;
  dataset_version: string;
  artifacts_prefix: string;
  metrics: Metrics;
  decision_id: string;
  created_at: string;
  promoted_at?: string;
  history?: Array<{ from: Stage | null; to: Stage; by: string; at: string; reason: string }>;
}

export interface DecisionDoc {
  id: string;
  model: string;
  candidate_version: string;
  production_version: string | null;
  promote: boolean;
  metric: string;
  candidate_metric: number | null;
  production_metric: number | null;
  delta: number;
  reasons: string[];
  /** Every guardrail the candidate was held to, passed or not. */
  checks?: Array<{ name: string; passed: boolean; detail: string }>;
  /** `manual`: a candidate that won waits for approval instead of being promoted. */
  mode?: 'auto' | 'manual';
  awaiting_approval?: boolean;
  /** The candidate's serving cost: one-row latency and the size of its ONNX files. */
  serving?: { p50_ms: number; p99_ms: number; rows_timed: number; model_bytes: number } | null;
  /**
   * The paired bootstrap of candidate − production on the holdout, with a production model: AUC for a
   * binary model, the promotion metric for a multiclass one (on the shared classes when the classes changed).
   */
  bootstrap?: { metric: string; difference: number; ci95: [number, number]; resamples: number; seed: number } | null;
  holdout_rows: number;
  /** A multiclass candidate whose classes differ from production's: the rule applied (decisions/class_change.ts). */
  class_change?: ClassChange | null;
  run_id: string;
  decided_at: string;
  /**
   * `superseded`: production moved to `superseded_by` before this decision could be committed, so it
   * never took effect and the candidate was judged again. Absent on decisions written before this existed.
   */
  outcome?: 'decided' | 'superseded';
  superseded_by?: string | null;
}

export const artifactsPrefix = (model: string, version: string) => `models/${model}/${version}/`;
