import { z } from 'zod';
import type { BigQuerySource } from './bigquery_sql';

/**
 * A Cloud Audit Logs entry as Eventarc delivers it (`google.cloud.audit.log.v1.written`: the LogEntry,
 * its protoPayload an AuditLog whose metadata is BigQueryAuditMetadata), reduced to what says which
 * table's rows a job changed. Unknown fields are kept and ignored: the entry carries much more.
 */
export const AuditLogEntry = z.looseObject({
  insertId: z.string().min(1),
  timestamp: z.iso.datetime({ offset: true }),
  protoPayload: z.looseObject({
    serviceName: z.string().optional(),
    methodName: z.string().optional(),
    resourceName: z.string().optional(),
    status: z.looseObject({ code: z.number().optional(), message: z.string().optional() }).optional(),
    metadata: z
      .looseObject({
        tableDataChange: z
          .looseObject({
            jobName: z.string().optional(),
            reason: z.string().optional(),
            // int64 fields are strings in proto3 JSON
            insertedRowsCount: z.union([z.string(), z.number()]).optional(),
            deletedRowsCount: z.union([z.string(), z.number()]).optional(),
            truncated: z.boolean().optional(),
          })
          .optional(),
        jobChange: z.looseObject({}).optional(),
      })
      .optional(),
  }),
});
export type AuditLogEntry = z.infer<typeof AuditLogEntry>;

/** What the entry says changed: a table's rows, by a job (or a write without one), at a time. */
export interface TableChange {
  /** project.dataset.table, as mloop.json names it. */
  table: string;
  /** The job's id, or the entry's insertId for a change no job made: one change, one key. */
  key: string;
  /** When the change was logged, after it committed: a snapshot as of then holds it. */
  at: string;
}

const TABLE_RESOURCE = /^projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/$@]+)/;
const JOB_NAME = /^projects\/[^/]+\/jobs\/(.+)$/;
/** mloop's own EXPORT DATA jobs (bigquery_snapshot.ts names them so) never start a run. */
export const OWN_JOB = /^mloop_/;

/**
 * The change an entry reports, or why it starts nothing. Only `tableDataChange` counts: a job's
 * completion is also logged as `jobChange` (every SELECT has one), and taking both would make two
 * requests with two snapshot times for one change.
 */
export function tableChange(entry: AuditLogEntry): TableChange | { ignored: string } {
  const p = entry.protoPayload;
  if (p.serviceName !== 'bigquery.googleapis.com') return { ignored: `not a BigQuery entry (${p.serviceName ?? 'no serviceName'})` };
  if (p.status?.code) return { ignored: `the call failed: ${p.status.message ?? p.status.code}` };
  const change = p.metadata?.tableDataChange;
  if (!change) return { ignored: p.metadata?.jobChange ? 'a job state change; the tableDataChange of its destination is what starts a run' : 'no tableDataChange in the entry' };
  const table = TABLE_RESOURCE.exec(p.resourceName ?? '');
  if (!table) return { ignored: `resourceName "${p.resourceName}" is not a table` };
  const job = change.jobName ? JOB_NAME.exec(change.jobName)?.[1] : undefined;
  if (job && OWN_JOB.test(job)) return { ignored: `mloop's own job ${job}` };
  const rows = Number(change.insertedRowsCount ?? 0) + Number(change.deletedRowsCount ?? 0);
  if (rows === 0 && !change.truncated) return { ignored: 'no rows inserted or deleted' };
  return { table: `${table[1]}.${table[2]}.${table[3]}`, key: job ?? entry.insertId, at: new Date(entry.timestamp).toISOString() };
}

/** Whether a model's source reads the table: it is the table, or its query names it (with or without backticks). */
export function readsTable(source: BigQuerySource, table: string): boolean {
  if (source.table) return source.table === table;
  const query = source.query ?? '';
  const [project, dataset, name] = table.split('.');
  const spelled = [table, `${project}.${dataset}\`.\`${name}`, `${project}\`.\`${dataset}\`.\`${name}`];
  return spelled.some((s) => query.includes(s));
}
