import { TOPICS, type DriftDetected, type TrainingRequested } from '../core/events';
import type { Context } from './context';
import { COLLECTIONS, type DatasetDoc } from './documents';

export type RetrainResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'requested'; requestId: string; datasetVersion: string };

/** One report asks for one retraining, however often its event is delivered. */
export const driftRequestId = (model: string, reportId: string) => `drift:${model}:${reportId}`;

/**
 * onDriftDetected: retrain the model on the newest data it has. The request id comes from the report,
 * so a redelivered event leads to the run the first delivery created, not to a second one.
 */
export async function requestRetraining(ctx: Context, event: DriftDetected): Promise<RetrainResult> {
  const { bus, clock } = ctx.platform;
  const dataset = await latestAcceptedDataset(ctx, event.model);
  if (!dataset) return { outcome: 'ignored', reason: `model ${event.model} has no accepted dataset to retrain on` };
  const request: TrainingRequested = {
    request_id: driftRequestId(event.model, event.report_id),
    model: event.model,
    dataset_version: dataset.version,
    reason: event.reason,
    requested_at: clock.now().toISOString(),
    requested_by: `report:${event.report_id}`,
  };
  await bus.publish(TOPICS.trainingRequested, request, { attributes: { model: event.model }, orderingKey: event.model });
  ctx.log.info({ model: event.model, report_id: event.report_id, dataset_version: dataset.version, reason: event.reason }, 'retraining requested');
  return { outcome: 'requested', requestId: request.request_id, datasetVersion: dataset.version };
}

async function latestAcceptedDataset(ctx: Context, model: string): Promise<DatasetDoc | null> {
  const found = await ctx.platform.docs.query<DatasetDoc>(COLLECTIONS.datasets, {
    where: [
      ['model', '==', model],
      ['status', '==', 'accepted'],
    ],
    orderBy: [['created_at', 'desc']],
    limit: 1,
  });
  return found[0]?.data ?? null;
}
