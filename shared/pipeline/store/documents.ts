import type { CostEstimate, RunResources } from '../../core/cost';
import type { Metrics, TrainingOverrides, TrainingReason, TrainingRequested } from '../../core/events';
import type { ValidationReport } from '../../data/csv_validation';
import type { ImageValidationReport } from '../../data/images/dataset';
import type { TrialRecord } from '../../ml/sweep';
import type { TrainProgress } from '../../ml/trained_model';
import type { TrainingEnd } from '../../ml/training_end';
import type { Selection } from '../../ml/selection';
import type { CalibrationRecord } from '../../ml/calibration/calibrate_fitted';
import type { DatasetConfig, DatasetKind, PromotionConfig } from '../dataset_config';
import type { RunPlan } from '../training/training_plan';
import type { ClassChange } from '../decisions/class_change';
import type { SliceFailure } from '../decisions/slice_guardrail';
import type { SliceResult } from '../../ml/slice_metrics';

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
  runRequests: 'run_requests',
} as const;

export interface DatasetDoc {
  model: string;
  version: string;
  status: 'accepted' | 'rejected';
  reason?: string;
  object: { bucket: string; name: string; generation: string; md5Hash: string; size: number };
  /**
   * A dataset in parts (`datasets/<model>/<name>/` with a completion marker): its part objects in name
   * order, in `object.bucket`, each with the SHA-256 of its content. `object` is then the prefix itself
   * (the marker's generation and MD5, the parts' total size), which is not an object: read the dataset
   * through training/dataset_objects.ts.
   */
  parts?: DatasetPart[];
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
  /** A BigQuery source's snapshot: the rows are the exported Parquet files, and `object` their manifest. */
  bigquery?: BigQuerySnapshot;
}

/** What a BigQuery dataset version was read from, kept on its document and in its manifest. */
export interface BigQuerySnapshot {
  /** The SELECT that ran, with its snapshot time written in. */
  query: string;
  snapshot_time: string;
  job_id: string;
  location: string | null;
  /** The exported Parquet files, in name order. */
  files: Array<{ name: string; md5Hash: string; size: number; generation: string }>;
  rows: number | null;
}

export interface DatasetPart {
  name: string;
  generation: string;
  md5Hash: string;
  size: number;
  /** Absent for a BigQuery export's files, which are pinned by their generation and MD5 instead. */
  sha256?: string;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The statuses a run never leaves. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

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

/**
 * The rows a run's metrics were measured on: the test split of one dataset version, drawn with one seed
 * (from a sample of that size, or by time). Two runs' metrics compare only when these are the same.
 */
export interface RunHoldout {
  dataset_version: string;
  rows: number | null;
  /** The split's seed; null where the split does not draw (an archive of images is split by its scan). */
  seed: number | null;
  /** Rows sampled before the split; null: every row. */
  sample: number | null;
  /** Split by this column's time instead of at random. */
  time_column: string | null;
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
  /** A binary classifier's calibration: method, why, validation log losses, test ECE before and after. */
  calibration?: CalibrationRecord | null;
  metrics?: Metrics | null;
  /** How the winning model's training ended (early stop, best iteration); written with the metrics, absent on older runs. */
  training_end?: TrainingEnd | null;
  /** The test split the metrics were measured on; written with the metrics, absent on older runs. */
  holdout?: RunHoldout | null;
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
  /** Labels from the request (`--tag k=v`, `tags` in POST /api/runs). */
  tags?: Record<string, string>;
  /** A cancelled run: who cancelled it (as the registry's trail names people), when and why. */
  cancelled_by?: string;
  cancelled_at?: string;
  cancel_reason?: string | null;
  /** `imported`: the model was trained elsewhere and registered by `mloop models import` (no job ran). */
  source?: 'imported';
  imported?: ImportLineage;
  /** The version's human label (`1.0.0`), unique per model, beside the automatic `vN`. */
  label?: string;
}

/** Where an imported version came from, as its manifest said, and who brought it in. */
export interface ImportLineage {
  by: string;
  at: string;
  /** The manifest's own model, version and run id on the machine that trained it. */
  from: { model: string; version: string; run_id: string };
  /** The content hash of the dataset it was trained on, as `mloop train` recorded it. */
  dataset_version: string;
  /** The metric checked on the holdout at import (the manifest's against onnxruntime's), and which holdout. */
  check: { metric: string; recorded: number | null; measured: number | null; holdout: 'carried' | 'provided'; rows: number };
}

/** A client's request to start a run, kept under its idempotency key so a retried request finds its run. */
export interface RunRequestDoc {
  key: string;
  /** SHA-256 of the request body in canonical form: the same key with another body is refused. */
  body_hash: string;
  run_id: string;
  /** What was published; published again when a replay finds no run yet (the first publish was lost). */
  request: TrainingRequested;
  created_at: string;
}

export interface ModelDoc {
  name: string;
  production_version: string | null;
  previous_version: string | null;
  next_version: number;
  /** `champion` follows production; others are free names a person sets. */
  aliases?: Record<string, string>;
  /** Human labels (`1.0.0`) → the version they name; a label names one version of a model. */
  labels?: Record<string, string>;
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
  label?: string;
  source?: 'imported';
  imported?: ImportLineage;
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
  /** Every metric per slice of the holdout, both models, with intervals; absent on decisions made before slices. */
  slices?: SliceResult[];
  /** Every metric on the whole holdout, both models, with intervals (column and value `all rows`). */
  holdout_metrics?: SliceResult;
  /** With the slice guardrail on: the slices that lost more than it allows, worst first (empty: none). */
  slice_failures?: SliceFailure[];
  run_id: string;
  decided_at: string;
  /**
   * `superseded`: production moved to `superseded_by` before this decision could be committed, so it
   * never took effect and the candidate was judged again. Absent on decisions written before this existed.
   */
  outcome?: 'decided' | 'superseded';
  superseded_by?: string | null;
  /**
   * An import that said `--promote` (promoted whatever the comparison found) or `--candidate` (a winner
   * waits for approval): who said so. The comparison's own verdict stays in `reasons`.
   */
  explicit?: { action: 'promote' | 'candidate'; by: string; reason: string } | null;
}

export const artifactsPrefix = (model: string, version: string) => `models/${model}/${version}/`;
