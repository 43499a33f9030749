import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { configFor } from '../../../../shared/core/config';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOf } from '../../../../shared/pipeline/store';
import { ingestObject } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../../../../shared/platform';
import type { Platform } from '../../../../shared/platform/ports';
import { startFakeGcs, type FakeGcs } from '../../../fakes/gcs_server';

/**
 * A dataset in parts in Cloud Storage (the strict fake of its JSON API): the prefix listed, each part
 * hashed, Parquet parts read by range, through the Google Cloud object store adapter; the documents and
 * queue stay local (SQLite).
 */
let fake: FakeGcs;
let home: string;
let ctx: Context;
const platforms: Platform[] = [];

beforeAll(async () => {
  fake = await startFakeGcs(['data', 'artifacts']);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-parts-gcs-'));
  const local = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
  const gcp = configFor(home, { MLOOP_PLATFORM: 'gcp', GOOGLE_CLOUD_PROJECT: 'mloop-parts-test', MLOOP_GCS_ENDPOINT: fake.url, MLOOP_LOG_LEVEL: 'silent' });
  const localPlatform = createPlatform(local, createLogger('silent'));
  const gcpPlatform = createPlatform(gcp, createLogger('silent'));
  platforms.push(localPlatform, gcpPlatform);
  ctx = { config: local, log: createLogger('silent'), platform: { ...localPlatform, objects: gcpPlatform.objects } };
});

afterAll(async () => {
  await Promise.all(platforms.map((p) => p.close()));
  await fake.close();
  fs.rmSync(home, { recursive: true, force: true });
  expect(fake.unexpected).toEqual([]);
});

const rows = (from: number, n: number) => Array.from({ length: n }, (_, k) => [(from + k) % 4 === 0 ? 50 + k : 10 + k, (from + k) % 3 ? 'a' : 'b', (from + k) % 4 === 0 ? 'yes' : 'no'] as const);

async function put(name: string, body: string | Buffer) {
  const meta = await ctx.platform.objects.put('data', name, body);
  return { bucket: meta.bucket, name: meta.name, generation: meta.generation };
}

test('8 CSV parts and _SUCCESS: one version, whichever event comes first or again', async () => {
  await put('datasets/fraud/mloop.json', JSON.stringify({ target: 'label', positive_class: 'yes' }));
  const parts = [];
  for (let i = 0; i < 8; i++) parts.push(await put(`datasets/fraud/export/part-${i}.csv`, `amount,kind,label\n${rows(i * 40, 40).map((r) => r.join(',')).join('\n')}\n`));
  const marker = await put('datasets/fraud/export/_SUCCESS', '');
  const results = [await ingestObject(ctx, marker), ...(await Promise.all(parts.map((p) => ingestObject(ctx, p)))), await ingestObject(ctx, marker)];
  expect(results.filter((r) => r.outcome === 'ignored')).toHaveLength(8);
  const accepted = results.filter((r) => r.outcome === 'accepted');
  expect(accepted).toHaveLength(2);
  expect(accepted[1]).toEqual(accepted[0]);
  const docs = (await storeOf(ctx).datasets.list()).filter((d) => d.model === 'fraud');
  expect(docs).toEqual([expect.objectContaining({ status: 'accepted', rows: 320 })]);
  expect(docs[0].parts!.map((p) => p.md5Hash)).toEqual(await Promise.all(parts.map(async (p) => (await ctx.platform.objects.stat('data', p.name))!.md5Hash)));
});

test('Parquet parts are validated as one table, read by byte ranges', async () => {
  await put('datasets/pq/mloop.json', JSON.stringify({ target: 'label', positive_class: 'yes' }));
  for (let i = 0; i < 8; i++) {
    const cells = rows(i * 40, 40);
    const columnData = [
      { name: 'amount', type: 'DOUBLE' as const, data: cells.map((c) => c[0]) },
      { name: 'kind', type: 'STRING' as const, data: cells.map((c) => c[1]) },
      { name: 'label', type: 'STRING' as const, data: cells.map((c) => c[2]) },
    ];
    await put(`datasets/pq/export/${String(i).padStart(12, '0')}.parquet`, Buffer.from(parquetWriteBuffer({ columnData })));
  }
  const result = await ingestObject(ctx, await put('datasets/pq/export/_SUCCESS', ''));
  expect(result.outcome === 'rejected' ? result.reason : result.outcome).toBe('accepted');
  expect((await storeOf(ctx).datasets.list()).filter((d) => d.model === 'pq')).toEqual([expect.objectContaining({ status: 'accepted', rows: 320 })]);
  expect(fake.requests.some((r) => /^GET \/(download\/)?storage\/v1\/b\/data\/o\/datasets%2Fpq%2Fexport%2F000000000000\.parquet/.test(r))).toBe(true);
});
