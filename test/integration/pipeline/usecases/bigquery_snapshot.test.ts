/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type TrainingRequested } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOf } from '../../../../shared/pipeline/store';
import { requestRetraining } from '../../../../shared/pipeline/usecases/on_drift_detected';
import { requestManualRetrain } from '../../../../shared/pipeline/usecases/manual_retrain';
import { ingestObject } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { runTrainingJob } from '../../../../shared/pipeline/usecases/run_training_job';
import { requestTrainingFromSource } from '../../../../shared/pipeline/usecases/source_request';
import { createPlatform } from '../../../../shared/platform';
import type { Platform } from '../../../../shared/platform/ports';
import { startFakeBigQuery, type FakeBigQuery } from '../../../fakes/bigquery_server';
import { startFakeGcs, type FakeGcs } from '../../../fakes/gcs_server';
import { RecordingLauncher } from '../../../support/recording_launcher';

/**
 * A model whose rows are in BigQuery, through the Google Cloud adapters of objects and BigQuery (on the
 * fakes) beside the local document store and bus: a request becomes one snapshot exported as Parquet
 * and one dataset version, the job trains on the exported parts, and a job BigQuery fails fails the run
 * with BigQuery's message. Locally, such a model is refused with how to run it.
 */
const PROJECT = 'mloop-bq-snap';
const TABLE = `${PROJECT}.sales.orders`;
let home: string;
let gcs: FakeGcs;
let bq: FakeBigQuery;
let gcp: Platform;
let ctx: Context;

beforeAll(async () => {
  gcs = await startFakeGcs(['data', 'artifacts']);
  bq = await startFakeBigQuery(PROJECT, gcs.objects);
  bq.tables.set(TABLE, {
    columns: [
      { name: 'amount', type: 'FLOAT64' },
      { name: 'channel', type: 'STRING' },
      { name: 'fraud', type: 'BOOL' },
    ],
    rows: Array.from({ length: 400 }, (_, i) => {
      const fraud = i % 4 === 0;
      return { amount: (fraud ? 60 : 10) + (i % 17), channel: i % 9 === 0 ? null : i % 3 ? 'web' : 'shop', fraud };
    }),
    since: new Date('2026-01-01T00:00:00Z'),
  });
});
afterAll(async () => {
  await bq.close();
  await gcs.close();
  expect(bq.unexpected).toEqual([]);
  expect(gcs.unexpected).toEqual([]);
});

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-bq-snap-'));
  const env = { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '5', MLOOP_TRAIN_EPOCHS: '5', MLOOP_TRAIN_WORKERS: '1' };
  const config = configFor(home, env);
  gcp = createPlatform(configFor(home, { ...env, MLOOP_PLATFORM: 'gcp', GOOGLE_CLOUD_PROJECT: PROJECT, MLOOP_GCS_ENDPOINT: gcs.url, MLOOP_BIGQUERY_ENDPOINT: bq.url }), createLogger('silent'));
  const local = createPlatform(config, createLogger('silent'));
  ctx = { config, log: createLogger('silent'), platform: { ...local, objects: gcp.objects, warehouse: gcp.warehouse, jobs: new RecordingLauncher(), close: async () => (await local.close(), await gcp.close()) } };
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
  await ctx.platform.objects.put('data', 'datasets/orders/mloop.json', JSON.stringify({ target: 'fraud', source: { bigquery: { table: TABLE, location: 'EU' } } }));
});
afterEach(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const request = (id: string, at: string): TrainingRequested => ({
  request_id: id,
  model: 'orders',
  dataset_version: `bigquery@${at}`,
  reason: 'schedule',
  requested_at: at,
  source: 'bigquery',
  snapshot_time: at,
});

test('a request exports one snapshot, records it as a dataset version, and the job trains on its Parquet parts', async () => {
  const at = '2026-12-01T06:00:00.000Z';
  const first = await requestTrainingFromSource(ctx, request(`bq-a-${home}`, at));
  expect(first.outcome).toBe('created');
  const run = (await storeOf(ctx).runs.get(first.runId))!;
  const dataset = (await storeOf(ctx).datasets.get('orders', run.dataset_version))!;
  expect(dataset).toMatchObject({ status: 'accepted', rows: 400, header: ['amount', 'channel', 'fraud'] });
  expect(dataset.bigquery).toMatchObject({ snapshot_time: at, location: 'EU', rows: 400 });
  expect(dataset.bigquery!.query).toBe(`SELECT * FROM \`${TABLE}\` FOR SYSTEM_TIME AS OF TIMESTAMP '2026-12-01 06:00:00.000+00'`);
  expect(dataset.bigquery!.files.map((f) => f.name)).toEqual(Array.from({ length: 8 }, (_, i) => expect.stringMatching(new RegExp(`^bigquery/orders/[0-9a-f]{16}/part-00000000000${i}\\.parquet$`))));
  expect(JSON.parse((await ctx.platform.objects.get('data', dataset.object.name)).toString()).files).toEqual(dataset.bigquery!.files);

  // the same request again (a redelivery) makes no second job; another request as of the same time names the same version
  const jobs = bq.jobs.size;
  expect(await requestTrainingFromSource(ctx, request(`bq-a-${home}`, at))).toMatchObject({ outcome: 'exists', runId: first.runId });
  const second = await requestTrainingFromSource(ctx, request(`bq-b-${home}`, at));
  expect(bq.jobs.size).toBe(jobs);
  expect((await storeOf(ctx).runs.get(second.runId))!.dataset_version).toBe(run.dataset_version);

  await storeOf(ctx).runs.update(run.id, { status: 'running', attempt: 1 });
  expect(await runTrainingJob(ctx, run.id, 1)).toBe('succeeded');
  const trained = (await storeOf(ctx).runs.get(run.id))!;
  expect(trained.holdout).toMatchObject({ dataset_version: run.dataset_version });
  expect(trained.metrics!.auc).toBeGreaterThan(0.9);
});

test('a job BigQuery fails makes a failed run whose error is BigQuery\'s own message', async () => {
  bq.failNextJob({ reason: 'accessDenied', message: `Access Denied: Table ${PROJECT}:sales.orders: User does not have permission to query table ${PROJECT}:sales.orders, or perhaps it does not exist.` });
  const result = await requestTrainingFromSource(ctx, request(`bq-fail-${home}`, '2026-12-01T07:00:00.000Z'));
  const run = (await storeOf(ctx).runs.get(result.runId))!;
  expect(run.status).toBe('failed');
  expect(run.error).toContain(`(accessDenied): Access Denied: Table ${PROJECT}:sales.orders: User does not have permission`);
  expect((await storeOf(ctx).datasets.get('orders', run.dataset_version))!).toMatchObject({ status: 'rejected', reason: expect.stringContaining('Access Denied') });
});

test('its mloop.json landing asks for the first snapshot, once per generation of the file; locally it is refused, naming MLOOP_PLATFORM=gcp', async () => {
  const stat = (await ctx.platform.objects.stat('data', 'datasets/orders/mloop.json'))!;
  const event = { bucket: 'data', name: 'datasets/orders/mloop.json', generation: stat.generation };
  const first = await ingestObject(ctx, event);
  expect(first).toEqual({ outcome: 'accepted', model: 'orders', version: `bigquery@${new Date(stat.updated).toISOString()}`, requestId: `source:orders:${stat.generation}` });
  expect(await ingestObject(ctx, event)).toEqual(first);
  const local = { ...ctx, platform: { ...ctx.platform, warehouse: undefined } };
  expect(await ingestObject(local, event)).toEqual({ outcome: 'ignored', reason: expect.stringContaining('MLOOP_PLATFORM=gcp') });
  await expect(requestManualRetrain(local, 'orders', 'ana')).rejects.toThrow(/model "orders" reads its rows from BigQuery .*MLOOP_PLATFORM=gcp/);
});

test('mloop retrain of a model with a snapshot asks for a new one as of now, and is refused where there is no BigQuery', async () => {
  await requestTrainingFromSource(ctx, request(`bq-c-${home}`, '2026-12-01T08:00:00.000Z'));
  const asked = await requestManualRetrain(ctx, 'orders', 'ana');
  expect(asked.dataset_version).toMatch(/^bigquery@\d{4}-/);
  const local = { ...ctx, platform: { ...ctx.platform, warehouse: undefined } };
  await expect(requestManualRetrain(local, 'orders', 'ana')).rejects.toThrow(/MLOOP_PLATFORM=gcp/);
});

/** The training requests published so far, `count` of them. */
async function published(count: number): Promise<TrainingRequested[]> {
  const received: TrainingRequested[] = [];
  const subscription = await ctx.platform.bus.subscribe('probe', async (message) => void received.push(message.data as TrainingRequested));
  const deadline = Date.now() + 10_000;
  while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await subscription.close();
  return received;
}

test('drift retrains a model read from BigQuery on a new snapshot taken as of then, not on the last export; a redelivery asks for the same one', async () => {
  const first = await requestTrainingFromSource(ctx, request(`bq-d-${home}`, '2026-12-01T09:00:00.000Z'));
  const exported = (await storeOf(ctx).runs.get(first.runId))!.dataset_version;
  const event = { model: 'orders', report_id: `rep-${path.basename(home)}`, reason: 'drift' as const, detected_at: new Date().toISOString() };
  const asked = await requestRetraining(ctx, event);
  expect(asked).toEqual({ outcome: 'requested', requestId: `drift:orders:${event.report_id}`, datasetVersion: expect.stringMatching(/^bigquery@\d{4}-/) });
  const at = (asked as { datasetVersion: string }).datasetVersion.slice('bigquery@'.length);
  expect(await requestRetraining(ctx, event)).toEqual(asked);
  const requests = await published(2);
  expect(requests).toHaveLength(2);
  expect(requests[1]).toEqual(requests[0]);
  expect(requests[0]).toMatchObject({ model: 'orders', reason: 'drift', source: 'bigquery', snapshot_time: at, dataset_version: `bigquery@${at}` });

  const jobs = bq.jobs.size;
  const run = await requestTrainingFromSource(ctx, requests[0]);
  expect(run.outcome).toBe('created');
  expect(bq.jobs.size).toBe(jobs + 1);
  const retrained = (await storeOf(ctx).runs.get(run.runId))!;
  expect(retrained.dataset_version).not.toBe(exported);
  expect((await storeOf(ctx).datasets.get('orders', retrained.dataset_version))!.bigquery).toMatchObject({ snapshot_time: at });
  // the redelivered request is the same run, with no second export
  expect(await requestTrainingFromSource(ctx, requests[1])).toMatchObject({ outcome: 'exists', runId: run.runId });
  expect(bq.jobs.size).toBe(jobs + 1);
});
