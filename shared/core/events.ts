import { z } from 'zod';
import { RunTags } from './tags';

/** Topic names: the same strings are Pub/Sub topic ids on Google Cloud and queue names locally. */
export const TOPICS = {
  objectFinalized: 'object-finalized',
  trainingRequested: 'training-requested',
  trainingCompleted: 'training-completed',
  modelPromoted: 'model-promoted',
  modelAwaitingApproval: 'model-awaiting-approval',
  monitoringTick: 'monitoring-tick',
  driftDetected: 'drift-detected',
  runSlotFreed: 'run-slot-freed',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** The fields of Cloud Storage's StorageObjectData that mloop reads. */
export const ObjectFinalized = z.object({
  bucket: z.string().min(1),
  name: z.string().min(1),
  generation: z.union([z.string(), z.number()]).transform(String),
  size: z.union([z.string(), z.number()]).transform(Number).optional(),
  md5Hash: z.string().optional(),
  contentType: z.string().optional(),
  timeCreated: z.string().optional(),
  updated: z.string().optional(),
});
export type ObjectFinalized = z.infer<typeof ObjectFinalized>;

export const TrainingReason = z.enum(['upload', 'drift', 'performance', 'manual', 'retry', 'import', 'schedule', 'source_changed']);
export type TrainingReason = z.infer<typeof TrainingReason>;

/**
 * What a request may change for its run only, over the dataset's mloop.json. `algorithm` and `search`
 * are checked where the run is planned, which knows the model families.
 */
export const TrainingOverrides = z.object({
  algorithm: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  search: z.unknown().optional(),
  /** Rows to train on, over mloop.json's `sample`. */
  sample: z.number().int().positive().optional(),
});
export type TrainingOverrides = z.infer<typeof TrainingOverrides>;

export const TrainingRequested = z.object({
  request_id: z.string().min(1),
  model: z.string().min(1),
  dataset_version: z.string().min(1),
  reason: TrainingReason,
  requested_at: z.string(),
  requested_by: z.string().optional(),
  /** Why a person asked (`mloop retrain --reason`), kept on the run. */
  note: z.string().max(500).optional(),
  training: TrainingOverrides.optional(),
  /** Labels a person puts on the run (`--tag k=v`), kept on it and filterable. */
  tags: RunTags.optional(),
  /**
   * A model whose rows are in BigQuery: the run reads a snapshot taken as of `snapshot_time`, and its
   * dataset version is known once exported; until then `dataset_version` says `bigquery@<snapshot_time>`.
   */
  source: z.literal('bigquery').optional(),
  snapshot_time: z.iso.datetime().optional(),
});
export type TrainingRequested = z.infer<typeof TrainingRequested>;

export const Metrics = z.record(z.string(), z.number().nullable());
export type Metrics = z.infer<typeof Metrics>;

export const TrainingCompleted = z.object({
  run_id: z.string().min(1),
  attempt: z.number().int().positive(),
  model: z.string().min(1),
  model_version: z.string().min(1),
  status: z.enum(['succeeded', 'failed']),
  artifacts_prefix: z.string().optional(),
  metrics: Metrics.optional(),
  error: z.string().optional(),
  finished_at: z.string(),
});
export type TrainingCompleted = z.infer<typeof TrainingCompleted>;

export const ModelPromoted = z.object({
  model: z.string().min(1),
  version: z.string().min(1),
  previous_version: z.string().nullable(),
  decision_id: z.string(),
  promoted_at: z.string(),
});
export type ModelPromoted = z.infer<typeof ModelPromoted>;

/** In manual promotion mode: a candidate beat production and waits for `mloop models approve`. */
export const ModelAwaitingApproval = z.object({
  model: z.string().min(1),
  version: z.string().min(1),
  production_version: z.string().nullable(),
  decision_id: z.string(),
  decided_at: z.string(),
});
export type ModelAwaitingApproval = z.infer<typeof ModelAwaitingApproval>;

export const MonitoringTick = z.object({
  tick_id: z.string().optional(),
  model: z.string().optional(),
  requested_at: z.string().optional(),
});
export type MonitoringTick = z.infer<typeof MonitoringTick>;

export const DriftDetected = z.object({
  model: z.string().min(1),
  report_id: z.string().min(1),
  /** drift: the data moved (skew against training, or drift against the previous window); estimated_performance: the AUC estimated from calibrated scores dropped, before any label. */
  reason: z.enum(['drift', 'performance', 'estimated_performance']),
  detected_at: z.string(),
});
export type DriftDetected = z.infer<typeof DriftDetected>;

/**
 * A training run ended (or was given up on): one slot of the parallel-job limit may be free. Only the
 * launcher consumes it, and starts queued runs while slots are free; a message when none is free, or
 * nothing is queued, changes nothing.
 */
export const RunSlotFreed = z.object({
  run_id: z.string().optional(),
  model: z.string().optional(),
  reason: z.string().min(1),
  freed_at: z.string(),
});
export type RunSlotFreed = z.infer<typeof RunSlotFreed>;
