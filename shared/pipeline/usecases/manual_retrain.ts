import { randomUUID } from 'node:crypto';
import { MloopError } from '../../core/errors';
import { TOPICS, type TrainingOverrides, type TrainingRequested } from '../../core/events';
import { runIdFor } from '../../core/ids';
import type { Context } from '../context';
import { storeOf } from '../store';
import { latestUploadedDataset } from './on_drift_detected';
import { LOCAL_BIGQUERY_REFUSAL, pendingSnapshotVersion } from '../sources/bigquery_sql';
import { CONFIG_FILE, readDatasetConfig } from './on_data_uploaded';

export interface ManualRetrain {
  request_id: string;
  run_id: string;
  model: string;
  dataset_version: string;
}

/** What a person may set on the run they ask for (`mloop retrain`, POST /api/runs). */
export interface RetrainOptions {
  reason?: string;
  /** A dataset version of the model; by default its newest upload. */
  dataset_version?: string;
  training?: TrainingOverrides;
  tags?: Record<string, string>;
  /** The request's id, for a caller that makes retries idempotent; a fresh one by default. */
  request_id?: string;
}

/**
 * `mloop retrain`: train again on the newest uploaded dataset (or the one named) although nothing
 * changed (new code, a flaky run, a person's hunch), with the overrides given. A fresh request id each
 * time unless the caller brings one, so it is never deduplicated against the upload's own request —
 * which is the whole point. The run's id derives from the request id.
 */
export async function requestManualRetrain(ctx: Context, model: string, by: string, options: RetrainOptions = {}): Promise<ManualRetrain> {
  const request = await manualRequest(ctx, model, by, options);
  await publishRequest(ctx, request);
  return { request_id: request.request_id, run_id: runIdFor(request.request_id), model, dataset_version: request.dataset_version };
}

/** The training request, checked against what exists: the dataset must be an accepted one of the model. */
export async function manualRequest(ctx: Context, model: string, by: string, options: RetrainOptions): Promise<TrainingRequested> {
  const latest = options.dataset_version ? null : await latestUploadedDataset(ctx, model);
  // a model read from BigQuery trains on a new snapshot each time it is asked to, unless a version is named
  if (latest?.bigquery) {
    if (!ctx.platform.warehouse) throw new MloopError('failed_precondition', `model "${model}" ${LOCAL_BIGQUERY_REFUSAL}`);
    return sourceRequest(ctx, model, by, options);
  }
  if (!latest && !options.dataset_version && !ctx.platform.warehouse && (await localBigQueryModel(ctx, model))) {
    throw new MloopError('failed_precondition', `model "${model}" ${LOCAL_BIGQUERY_REFUSAL}`);
  }
  const version = options.dataset_version ?? latest?.version;
  if (!version) throw new MloopError('not_found', `model "${model}" has no accepted dataset to retrain on: push one first`);
  if (options.dataset_version) {
    const dataset = await storeOf(ctx).datasets.get(model, version);
    if (!dataset) throw new MloopError('not_found', `model "${model}" has no dataset version ${version} (mloop datasets lists them)`, { field: 'dataset_version' });
    if (dataset.status !== 'accepted') throw new MloopError('failed_precondition', `dataset ${model}:${version} was rejected: ${dataset.reason}`, { field: 'dataset_version' });
  }
  const training = options.training && Object.values(options.training).some((v) => v !== undefined) ? options.training : undefined;
  return {
    request_id: options.request_id ?? `manual:${model}:${randomUUID()}`,
    model,
    dataset_version: version,
    reason: 'manual',
    requested_at: ctx.platform.clock.now().toISOString(),
    requested_by: by,
    ...(options.reason ? { note: options.reason } : {}),
    ...(training && { training }),
    ...(options.tags && Object.keys(options.tags).length > 0 && { tags: options.tags }),
  };
}

/**
 * Locally, whether a model with no dataset yet is one whose mloop.json names a BigQuery source, to say
 * why it has none. Only there: on Google Cloud the dashboard may not read the data bucket, and such a
 * model's first run comes from its mloop.json landing (see on_data_uploaded.ts).
 */
async function localBigQueryModel(ctx: Context, model: string): Promise<boolean> {
  if (!(await ctx.platform.objects.stat(ctx.config.dataBucket, `datasets/${model}/${CONFIG_FILE}`))) return false;
  return !!(await readDatasetConfig(ctx, model, 'csv').catch(() => null))?.source?.bigquery;
}

/** A run on a new snapshot of the model's BigQuery source, taken as of now. */
function sourceRequest(ctx: Context, model: string, by: string, options: RetrainOptions): TrainingRequested {
  const at = ctx.platform.clock.now().toISOString();
  const training = options.training && Object.values(options.training).some((v) => v !== undefined) ? options.training : undefined;
  return {
    request_id: options.request_id ?? `manual:${model}:${randomUUID()}`,
    model,
    dataset_version: pendingSnapshotVersion(at),
    reason: 'manual',
    requested_at: at,
    requested_by: by,
    source: 'bigquery',
    snapshot_time: at,
    ...(options.reason ? { note: options.reason } : {}),
    ...(training && { training }),
    ...(options.tags && Object.keys(options.tags).length > 0 && { tags: options.tags }),
  };
}

export async function publishRequest(ctx: Context, request: TrainingRequested): Promise<void> {
  await ctx.platform.bus.publish(TOPICS.trainingRequested, request, { attributes: { model: request.model }, orderingKey: request.model });
  ctx.log.info({ model: request.model, dataset_version: request.dataset_version, request_id: request.request_id, by: request.requested_by }, 'manual retraining requested');
}
