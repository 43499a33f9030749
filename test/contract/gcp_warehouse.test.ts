import { parquetReadObjects } from 'hyparquet';
import { configFor } from '../../shared/core/config';
import { MloopError } from '../../shared/core/errors';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import type { Platform, Warehouse } from '../../shared/platform/ports';
import { exportStatement, snapshotQuery } from '../../shared/pipeline/sources/bigquery_sql';
import { startFakeBigQuery, type FakeBigQuery } from '../fakes/bigquery_server';
import { startFakeGcs, type FakeGcs } from '../fakes/gcs_server';
import { removeDir, tempDir, unique } from './support';

const PROJECT = 'mloop-bq-test';
const TABLE = `${PROJECT}.sales.orders`;
const SINCE = new Date('2026-11-01T00:00:00Z');
const AT = new Date('2026-12-01T12:00:00.123Z');

let gcs: FakeGcs;
let bq: FakeBigQuery;
let dir: string;
let platform: Platform;
let warehouse: Warehouse;

beforeAll(async () => {
  gcs = await startFakeGcs(['data']);
  bq = await startFakeBigQuery(PROJECT, gcs.objects);
  bq.tables.set(TABLE, {
    columns: [
      { name: 'amount', type: 'FLOAT64' },
      { name: 'country', type: 'STRING' },
      { name: 'fraud', type: 'BOOL' },
    ],
    rows: Array.from({ length: 120 }, (_, i) => ({ amount: i * 1.5, country: i % 7 === 0 ? null : ['NL', 'DE', 'FR'][i % 3], fraud: i % 5 === 0 })),
    since: SINCE,
  });
  dir = tempDir('mloop-bq');
  const config = configFor(dir, { MLOOP_PLATFORM: 'gcp', GOOGLE_CLOUD_PROJECT: PROJECT, MLOOP_GCS_ENDPOINT: gcs.url, MLOOP_BIGQUERY_ENDPOINT: bq.url, MLOOP_LOG_LEVEL: 'silent' });
  platform = createPlatform(config, createLogger('silent'));
  warehouse = platform.warehouse!;
});
afterAll(async () => {
  await platform.close();
  await bq.close();
  await gcs.close();
  removeDir(dir);
});

const statement = (prefix: string, at = AT, table = TABLE) => exportStatement(snapshotQuery({ table }, at), 'data', prefix);

describe('BigQueryWarehouse against the fake BigQuery REST API', () => {
  test('an export runs as one job (insert, wait on its results, read it) and writes real Parquet parts', async () => {
    const prefix = `${unique('exp')}/part-`;
    const jobId = unique('job').replace(/[^A-Za-z0-9_-]/g, '_');
    const result = await warehouse.exportQuery({ jobId, statement: statement(prefix), location: 'EU' });
    expect(result).toEqual({ jobId, files: 3, rows: 120 });
    const parts = gcs.objects.list('data', prefix);
    expect(parts.map((p) => p.name.slice(prefix.length))).toEqual(['000000000000.parquet', '000000000001.parquet', '000000000002.parquet']);
    const first = parts[0].data;
    const rows = await parquetReadObjects({ file: first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength) as ArrayBuffer });
    expect(rows).toHaveLength(50);
    expect(rows[1]).toEqual({ amount: 1.5, country: 'DE', fraud: false });
    expect(rows[0].country).toBeNull();
    const inserted = bq.requests.map((r) => r.split('?')[0]).lastIndexOf(`POST /bigquery/v2/projects/${PROJECT}/jobs`);
    const calls = bq.requests.slice(inserted).map((r) => r.split('?')[0].replace(jobId, '{id}'));
    expect(calls).toEqual([
      `POST /bigquery/v2/projects/${PROJECT}/jobs`,
      `GET /bigquery/v2/projects/${PROJECT}/queries/{id}`,
      `GET /bigquery/v2/projects/${PROJECT}/jobs/{id}`,
    ]);
    expect(bq.unexpected).toEqual([]);
  });

  test('the same job id again waits on the first job instead of running the query twice', async () => {
    const prefix = `${unique('again')}/part-`;
    const jobId = unique('job').replace(/[^A-Za-z0-9_-]/g, '_');
    await warehouse.exportQuery({ jobId, statement: statement(prefix), location: 'EU' });
    const writtenBefore = gcs.objects.list('data', prefix).map((o) => o.generation);
    await expect(warehouse.exportQuery({ jobId, statement: statement(prefix), location: 'EU' })).resolves.toEqual({ jobId, files: 3, rows: 120 });
    expect(gcs.objects.list('data', prefix).map((o) => o.generation)).toEqual(writtenBefore);
    expect([...bq.jobs.keys()].filter((id) => id === jobId)).toHaveLength(1);
  });

  test('a job BigQuery fails throws its own reason and message, as a permanent error', async () => {
    bq.failNextJob({ reason: 'accessDenied', message: `Access Denied: Table ${PROJECT}:sales.orders: User does not have permission to query table ${PROJECT}:sales.orders.` });
    const jobId = unique('denied').replace(/[^A-Za-z0-9_-]/g, '_');
    const failed = warehouse.exportQuery({ jobId, statement: statement(`${unique('denied')}/part-`), location: 'EU' });
    await expect(failed).rejects.toBeInstanceOf(MloopError);
    await expect(failed).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringContaining('(accessDenied): Access Denied: Table mloop-bq-test:sales.orders') });
  });

  test('a table that does not exist, and a snapshot before the table, fail the job with what BigQuery says', async () => {
    const missing = warehouse.exportQuery({ jobId: unique('nf').replace(/[^A-Za-z0-9_-]/g, '_'), statement: statement(`${unique('nf')}/part-`, AT, `${PROJECT}.sales.nope`), location: 'EU' });
    await expect(missing).rejects.toThrow(`(notFound): Not found: Table ${PROJECT}:sales.nope was not found in location EU`);
    const early = warehouse.exportQuery({ jobId: unique('early').replace(/[^A-Za-z0-9_-]/g, '_'), statement: statement(`${unique('early')}/part-`, new Date('2026-10-01T00:00:00Z')), location: 'EU' });
    await expect(early).rejects.toThrow(/\(invalidQuery\): Invalid snapshot time/);
  });

  test('the fake is strict: an unknown field of the job is refused, and recorded', async () => {
    const body = { jobReference: { projectId: PROJECT, jobId: 'strict_1' }, configuration: { query: { query: 'SELECT 1', useLegacySql: false, maximumBytesBilled: '1' } } };
    const response = await fetch(`${bq.url}/bigquery/v2/projects/${PROJECT}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toContain('Unknown name "maximumBytesBilled"');
    expect(bq.unexpected.splice(0)).toHaveLength(1);
    const gone = await fetch(`${bq.url}/bigquery/v2/projects/${PROJECT}/jobs/never?location=EU`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.errors[0].reason).toBe('notFound');
  });
});
