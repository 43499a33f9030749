import { z } from 'zod';
import type { TrainingRequested } from '../../core/events';
import { pendingSnapshotVersion } from './bigquery_sql';

/**
 * What a Cloud Scheduler job of a BigQuery-sourced model publishes on training-requested
 * (terraform/bigquery.tf): the same static payload every tick, which says only whose snapshot is due.
 */
export const ScheduledSnapshot = z.strictObject({
  model: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
  source: z.literal('bigquery'),
  reason: z.literal('schedule'),
});

/**
 * A scheduled tick as the training request it stands for: the Pub/Sub message's id names the request
 * (a redelivered tick is the same run, the next tick another), its publish time is the snapshot time.
 * Any other payload is returned as it is.
 */
export function scheduledRequest(data: unknown, message: { id?: string; publishTime?: string }): unknown {
  const tick = ScheduledSnapshot.safeParse(data);
  if (!tick.success || !message.id || !message.publishTime || Number.isNaN(Date.parse(message.publishTime))) return data;
  const at = new Date(message.publishTime).toISOString();
  const request: TrainingRequested = {
    request_id: `schedule:${tick.data.model}:${message.id}`,
    model: tick.data.model,
    dataset_version: pendingSnapshotVersion(at),
    reason: 'schedule',
    requested_at: at,
    requested_by: 'cloud-scheduler',
    source: 'bigquery',
    snapshot_time: at,
  };
  return request;
}
