import { TOPICS, type DriftDetected, type TrainingRequested } from '../../core/events';
import type { Context } from '../context';
import type { MonitoringDoc } from '../store/monitoring_documents';
import { storeOf } from '../store';
import { monitoringSettings } from '../monitoring/monitoring_settings';
import { datasetWithFeedback, type DerivedDatasetDoc } from '../training/retrain_dataset';
import { pendingSnapshotVersion } from '../sources/bigquery_sql';

export type RetrainResult =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'requested'; requestId: string; datasetVersion: string };

/** One report asks for one retraining, however often its event is delivered. */
export const driftRequestId = (model: string, reportId: string) => `drift:${model}:${reportId}`;

type LastRetrain = NonNullable<MonitoringDoc['last_retrain']>;

/**
 * onDriftDetected: retrain the model on the newest data it has (its newest upload, plus the labels fed
 * back in the report's window; for a model read from BigQuery, a new snapshot as of now, since the
 * drift is in rows the last export does not have), at most once per `retrain_cooldown_hours` per model. The model's
 * monitoring document records which report the last retraining answered, in a transaction, so two
 * reports racing within the cooldown start one run, and a redelivered event re-sends the very request
 * the first delivery recorded (whose run id already exists) instead of starting another.
 */
export async function requestRetraining(ctx: Context, event: DriftDetected): Promise<RetrainResult> {
  const { clock } = ctx.platform;
  const store = storeOf(ctx);
  const settings = await monitoringSettings(ctx, event.model);
  const cooldownMs = settings.retrain_cooldown_hours * 3_600_000;
  const blocked = (last: LastRetrain | null | undefined): string | null =>
    last && clock.now().getTime() - Date.parse(last.requested_at) < cooldownMs
      ? `cooldown: retraining of ${event.model} was requested at ${last.requested_at} for report ${last.report_id} (retrain_cooldown_hours ${settings.retrain_cooldown_hours})`
      : null;

  const seen = (await store.monitoring.get(event.model))?.last_retrain;
  if (seen?.report_id === event.report_id) return publish(ctx, event.model, seen);
  const early = blocked(seen);
  if (early) return ignored(ctx, event, early);

  const base = await latestUploadedDataset(ctx, event.model);
  if (!base) return { outcome: 'ignored', reason: `model ${event.model} has no accepted dataset to retrain on` };
  const now = clock.now().toISOString();
  // The labels of a BigQuery-sourced model are in its table: the new snapshot reads them.
  const version = base.bigquery ? pendingSnapshotVersion(now) : (await datasetWithFeedback(ctx, base, await store.driftReports.get(event.report_id))).version;
  const candidate: LastRetrain = {
    report_id: event.report_id,
    request_id: driftRequestId(event.model, event.report_id),
    dataset_version: version,
    reason: event.reason,
    requested_at: now,
  };
  const decided = await store.inTransaction(async (tx) => {
    const state = await tx.monitoring.get(event.model);
    const last = state?.last_retrain;
    if (last?.report_id === event.report_id) return { retrain: last };
    const reason = blocked(last);
    if (reason) return { reason };
    const doc: MonitoringDoc = { model: event.model, last_report: state?.last_report ?? null, last_retrain: candidate, updated_at: candidate.requested_at };
    tx.monitoring.put(doc);
    return { retrain: candidate };
  });
  if ('reason' in decided) return ignored(ctx, event, decided.reason!);
  return publish(ctx, event.model, decided.retrain!);
}

async function publish(ctx: Context, model: string, retrain: LastRetrain): Promise<RetrainResult> {
  // A snapshot still to take is recorded by its pending version, which holds its time: a redelivery
  // asks for the same snapshot, hence the same BigQuery job and dataset version.
  const snapshot = snapshotTime(retrain.dataset_version);
  const request: TrainingRequested = {
    request_id: retrain.request_id,
    model,
    dataset_version: retrain.dataset_version,
    reason: retrain.reason === 'performance' || retrain.reason === 'estimated_performance' ? 'performance' : 'drift',
    requested_at: retrain.requested_at,
    requested_by: `report:${retrain.report_id}`,
    ...(snapshot && { source: 'bigquery' as const, snapshot_time: snapshot }),
  };
  await ctx.platform.bus.publish(TOPICS.trainingRequested, request, { attributes: { model }, orderingKey: model });
  ctx.log.info({ model, report_id: retrain.report_id, dataset_version: retrain.dataset_version, reason: request.reason }, 'retraining requested');
  return { outcome: 'requested', requestId: request.request_id, datasetVersion: retrain.dataset_version };
}

function snapshotTime(version: string): string | null {
  const at = version.startsWith(pendingSnapshotVersion('')) ? version.slice(pendingSnapshotVersion('').length) : '';
  return at && pendingSnapshotVersion(at) === version && !Number.isNaN(Date.parse(at)) ? at : null;
}

function ignored(ctx: Context, event: DriftDetected, reason: string): RetrainResult {
  ctx.log.info({ model: event.model, report_id: event.report_id, reason }, 'retraining not requested');
  return { outcome: 'ignored', reason };
}

/** The newest dataset a person uploaded: retraining datasets are built on one, never on each other. */
export async function latestUploadedDataset(ctx: Context, model: string): Promise<DerivedDatasetDoc | null> {
  return storeOf(ctx).datasets.latestUploaded(model);
}
