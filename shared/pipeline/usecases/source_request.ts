import type { TrainingRequested } from '../../core/events';
import { runIdFor } from '../../core/ids';
import type { Context } from '../context';
import { storeOf } from '../store';
import { snapshotDataset } from './bigquery_snapshot';
import { readDatasetConfig } from './on_data_uploaded';
import { requestTraining, type RequestResult } from './on_training_requested';

/**
 * onTrainingRequested for every request: one of a model whose rows are in BigQuery is first turned
 * into a dataset version (the snapshot exported, see bigquery_snapshot.ts), then handled as any other.
 * A request whose run exists is not exported again.
 */
export async function requestTrainingFromSource(ctx: Context, request: TrainingRequested): Promise<RequestResult> {
  if (request.source !== 'bigquery') return requestTraining(ctx, request);
  const existing = await storeOf(ctx).runs.get(runIdFor(request.request_id));
  if (existing) return { outcome: 'exists', runId: existing.id, modelVersion: existing.model_version };
  const config = await readDatasetConfig(ctx, request.model, 'csv');
  const dataset = await snapshotDataset(ctx, request.model, config, new Date(request.snapshot_time ?? request.requested_at));
  return requestTraining(ctx, { ...request, dataset_version: dataset.version });
}
