/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { decodeAuditLog } from '../../../../functions/cloud_events';
import { TOPICS, TrainingRequested } from '../../../../shared/core/events';
import type { Context } from '../../../../shared/pipeline/context';
import { onTableChanged } from '../../../../shared/pipeline/events/on_table_changed';
import { AuditLogEntry } from '../../../../shared/pipeline/sources/audit_log';
import { requestSnapshotsForChange } from '../../../../shared/pipeline/usecases/on_table_changed';
import { scratchContextEachTest } from '../../../support/scratch_context';

/**
 * A BigQuery table's rows changed (a Cloud Audit Logs entry, as Eventarc delivers it): every model
 * whose mloop.json reads that table is asked for one snapshot as of the change, once per job however
 * often the entry comes; entries that change nothing, mloop's own export jobs and other tables start
 * nothing. The entries are shaped as Google's reference for BigQuery audit logs (BigQueryAuditMetadata).
 */
const FIXTURES = path.join(__dirname, '..', '..', '..', 'fixtures', 'audit_logs');
const cloudEvent = (name: string): CloudEvent<unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

let ctx: Context;

scratchContextEachTest('mloop-table-changed-', async (c) => {
  ctx = c;
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
  const put = (model: string, config: unknown) => ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/mloop.json`, JSON.stringify(config));
  await put('orders', { target: 'fraud', source: { bigquery: { table: 'acme-sales.sales.orders' } } });
  await put('churn', {
    target: 'churned',
    source: { bigquery: { query: 'SELECT c.*, o.n FROM `acme-sales.crm.customers` FOR SYSTEM_TIME AS OF @snapshot_time c JOIN (SELECT customer_id, COUNT(*) n FROM `acme-sales.sales.orders` FOR SYSTEM_TIME AS OF @snapshot_time GROUP BY 1) o USING (customer_id)' } },
  });
  await put('other', { target: 'y', source: { bigquery: { table: 'acme-sales.sales.orders_archive' } } });
  await put('uploaded', { target: 'y' });
  await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/uploaded/data.csv', 'x,y\n1,0\n');
});

async function published(count: number): Promise<TrainingRequested[]> {
  const received: TrainingRequested[] = [];
  const subscription = await ctx.platform.bus.subscribe('probe', async (message) => void received.push(TrainingRequested.parse(message.data)));
  const deadline = Date.now() + 5_000;
  while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // a little longer, to see that no more come
  await new Promise((r) => setTimeout(r, 100));
  await subscription.close();
  return received.sort((a, b) => (a.request_id < b.request_id ? -1 : 1));
}

const entry = (name: string) => {
  const decoded = decodeAuditLog(cloudEvent(name));
  if (!decoded.ok) throw new Error(decoded.reason);
  return AuditLogEntry.parse(decoded.data);
};

test("a tableDataChange asks each model reading the table (by name or in its query) for a snapshot as of the entry's time, once per job", async () => {
  const change = entry('bigquery_table_data_change.json');
  const result = await requestSnapshotsForChange(ctx, change);
  expect(result).toEqual({
    outcome: 'requested',
    table: 'acme-sales.sales.orders',
    requests: [
      { model: 'churn', requestId: 'table:churn:script_job_5d1c0f3e8a2b4c6d9e7f_0' },
      { model: 'orders', requestId: 'table:orders:script_job_5d1c0f3e8a2b4c6d9e7f_0' },
    ],
  });
  // redelivered: the same requests, which name the same runs
  expect(await requestSnapshotsForChange(ctx, change)).toEqual(result);
  const requests = await published(4);
  expect(requests).toHaveLength(4);
  const at = '2026-12-03T10:15:03.123Z';
  expect(requests[0]).toMatchObject({ model: 'churn', source: 'bigquery', snapshot_time: at, dataset_version: `bigquery@${at}`, reason: 'source_changed', requested_by: 'bigquery-audit-log' });
  expect(requests[1]).toEqual(requests[0]);
  expect(requests[2]).toMatchObject({ model: 'orders', request_id: 'table:orders:script_job_5d1c0f3e8a2b4c6d9e7f_0', snapshot_time: at });
});

test("the same job's jobChange entry, mloop's own export job, a failed call, a change of no rows and another table start nothing", async () => {
  const base = entry('bigquery_table_data_change.json');
  const metadata = base.protoPayload.metadata!;
  const variants: Array<[AuditLogEntry, RegExp]> = [
    [entry('bigquery_job_change.json'), /job state change/],
    [{ ...base, protoPayload: { ...base.protoPayload, metadata: { ...metadata, tableDataChange: { ...metadata.tableDataChange, jobName: 'projects/acme-sales/jobs/mloop_orders_0123456789abcdef' } } } }, /mloop's own job/],
    [{ ...base, protoPayload: { ...base.protoPayload, status: { code: 7, message: 'Access Denied' } } }, /Access Denied/],
    [{ ...base, protoPayload: { ...base.protoPayload, metadata: { ...metadata, tableDataChange: { reason: 'QUERY', jobName: 'projects/acme-sales/jobs/j1', insertedRowsCount: '0' } } } }, /no rows/],
    [{ ...base, protoPayload: { ...base.protoPayload, resourceName: 'projects/acme-sales/datasets/sales/tables/refunds' } }, /no model's mloop.json reads acme-sales.sales.refunds/],
    [{ ...base, protoPayload: { ...base.protoPayload, serviceName: 'storage.googleapis.com' } }, /not a BigQuery entry/],
  ];
  for (const [variant, reason] of variants) expect(await requestSnapshotsForChange(ctx, variant)).toEqual({ outcome: 'ignored', reason: expect.stringMatching(reason) });
  expect(await published(0)).toEqual([]);
});

test('the event handler takes the CloudEvent as Eventarc delivers it, and acknowledges one that is not an audit log entry', async () => {
  const decoded = decodeAuditLog(cloudEvent('bigquery_table_data_change.json'));
  expect(decoded.ok).toBe(true);
  await onTableChanged(ctx, (decoded as { data: unknown }).data);
  expect((await published(2)).map((r) => r.model)).toEqual(['churn', 'orders']);
  await expect(onTableChanged(ctx, { hello: 'world' })).resolves.toBeUndefined();
  expect(decodeAuditLog({ ...cloudEvent('bigquery_table_data_change.json'), data: '{not json' })).toEqual({ ok: false, reason: 'audit log event data is not JSON' });
});
