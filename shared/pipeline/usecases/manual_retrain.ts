import { randomUUID } from 'node:crypto';
import { MloopError } from '../../core/errors';
import { TOPICS, type TrainingRequested } from '../../core/events';
import type { RunTags } from '../../core/tags';
import type { Context } from '../context';
import { latestUploadedDataset } from './on_drift_detected';

export interface ManualRetrain {
  request_id: string;
  model: string;
  dataset_version: string;
}

/**
 * `mloop retrain`: train again on the newest uploaded dataset although nothing changed (new code, a
 * flaky run, a person's hunch). A fresh request id each time, so it is never deduplicated against the
 * upload's own request — which is the whole point.
 */
export async function requestManualRetrain(ctx: Context, model: string, by: string, reason?: string, tags?: RunTags): Promise<ManualRetrain> {
  const dataset = await latestUploadedDataset(ctx, model);
  if (!dataset) throw new MloopError('not_found', `model "${model}" has no accepted dataset to retrain on: push one first`);
  const request: TrainingRequested = {
    request_id: `manual:${model}:${randomUUID()}`,
    model,
    dataset_version: dataset.version,
    reason: 'manual',
    requested_at: ctx.platform.clock.now().toISOString(),
    requested_by: by,
    ...(reason ? { note: reason } : {}),
    ...(tags ? { tags } : {}),
  };
  await ctx.platform.bus.publish(TOPICS.trainingRequested, request, { attributes: { model }, orderingKey: model });
  ctx.log.info({ model, dataset_version: dataset.version, request_id: request.request_id, by }, 'manual retraining requested');
  return { request_id: request.request_id, model, dataset_version: dataset.version };
}
