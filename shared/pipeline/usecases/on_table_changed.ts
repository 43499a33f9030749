import { TOPICS, type TrainingRequested } from '../../core/events';
import type { Context } from '../context';
import { readsTable, tableChange, type AuditLogEntry } from '../sources/audit_log';
import { pendingSnapshotVersion } from '../sources/bigquery_sql';
import { modelConfigs } from '../read_models/model_configs';
import { CONFIG_FILE } from './on_data_uploaded';

export type TableChangedResult = { outcome: 'ignored'; reason: string } | { outcome: 'requested'; table: string; requests: Array<{ model: string; requestId: string }> };

/**
 * onTableChanged: a BigQuery job changed a table's rows (a Cloud Audit Logs entry, delivered by
 * Eventarc). Each model whose mloop.json source reads that table gets a snapshot run as of the entry's
 * time. The request is named by the model and the job, so a redelivered entry, or a second entry of
 * the same job, is the same run (its id derives from the request's): one change, one run.
 */
export async function requestSnapshotsForChange(ctx: Context, entry: AuditLogEntry): Promise<TableChangedResult> {
  const change = tableChange(entry);
  if ('ignored' in change) return ignored(ctx, change.ignored);
  const models = await modelsReading(ctx, change.table);
  if (models.length === 0) return ignored(ctx, `no model's ${CONFIG_FILE} reads ${change.table}`);
  const requests = [];
  for (const model of models) {
    const request: TrainingRequested = {
      request_id: `table:${model}:${change.key}`,
      model,
      dataset_version: pendingSnapshotVersion(change.at),
      reason: 'source_changed',
      // as of the change, so that a redelivery publishes the very same request
      requested_at: change.at,
      requested_by: 'bigquery-audit-log',
      source: 'bigquery',
      snapshot_time: change.at,
    };
    await ctx.platform.bus.publish(TOPICS.trainingRequested, request, { attributes: { model }, orderingKey: model });
    requests.push({ model, requestId: request.request_id });
  }
  ctx.log.info({ table: change.table, job: change.key, models }, 'BigQuery table changed: snapshots requested');
  return { outcome: 'requested', table: change.table, requests };
}

/** The models whose mloop.json names a BigQuery source reading the table. */
async function modelsReading(ctx: Context, table: string): Promise<string[]> {
  const models: string[] = [];
  for (const found of await modelConfigs(ctx)) {
    if ('problem' in found) {
      // one model's broken mloop.json does not keep the others from their runs
      ctx.log.warn({ model: found.model, err: found.problem }, `${CONFIG_FILE} unreadable; skipped for a table change`);
      continue;
    }
    const source = found.config.source?.bigquery;
    if (source && readsTable(source, table)) models.push(found.model);
  }
  return models;
}

function ignored(ctx: Context, reason: string): TableChangedResult {
  ctx.log.debug({ reason }, 'audit log entry starts no run');
  return { outcome: 'ignored', reason };
}
