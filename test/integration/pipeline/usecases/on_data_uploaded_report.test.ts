import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { COLLECTIONS, type DatasetDoc } from '../../../../shared/pipeline/store/documents';
import { ingestObject, reportObjectName } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../../../../shared/platform';

describe('the validation report of an upload', () => {
  let home: string;
  let ctx: Context;
  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-ingest-'));
    const config = configFor(home);
    ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  });
  afterAll(async () => {
    await ctx.platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function ingest(name: string, body: string) {
    const meta = await ctx.platform.objects.put(ctx.config.dataBucket, name, body);
    const result = await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
    if (result.outcome === 'ignored') throw new Error(result.reason);
    return (await ctx.platform.docs.get<DatasetDoc>(COLLECTIONS.datasets, `${result.model}:${result.version}`))!;
  }

  it('is stored on the dataset document: rows, rejected rows by line, column statistics', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${i * 2},${i % 2 ? 'A' : 'B'},${i % 3 === 0 ? 1 : 0}`);
    rows.splice(10, 0, '7,A');
    const doc = await ingest('datasets/fraud/small.csv', `amount,type,isFraud\n${rows.join('\n')}\n`);
    expect(doc).toMatchObject({ status: 'accepted', rows: 60, rejected_count: 1 });
    expect(doc.report).toMatchObject({ rows_read: 61, task: 'binary', class_counts: { '0': 40, '1': 20 } });
    expect(doc.report!.rejected).toEqual([{ line: 12, reason: 'has 2 fields but the header has 3' }]);
    expect(doc.report!.columns!.map((c) => [c.name, c.kind])).toEqual([['amount', 'numeric'], ['type', 'categorical'], ['isFraud', 'dropped']]);
    expect(doc.report_object).toBeUndefined();
  });

  it('goes to the artifacts bucket when large, with a summary on the document', async () => {
    const header = [...Array.from({ length: 700 }, (_, k) => `feature_with_a_long_name_${k}`), 'isFraud'];
    const rows = Array.from({ length: 30 }, (_, i) => [...header.slice(0, -1).map((_, k) => String((i * (k + 1)) % 17)), String(i % 2)].join(','));
    const doc = await ingest('datasets/wide/wide.csv', `${header.join(',')}\n${rows.join('\n')}\n`);
    expect(doc).toMatchObject({ status: 'accepted', rows: 30, rejected_count: 0 });
    expect(doc.report).toMatchObject({ rows_read: 30, rejected: [] });
    expect(doc.report!.columns).toBeUndefined();
    const name = reportObjectName('wide', doc.version);
    expect(doc.report_object).toBe(`${ctx.config.artifactsBucket}/${name}`);
    const full = JSON.parse((await ctx.platform.objects.get(ctx.config.artifactsBucket, name)).toString('utf8'));
    expect(full.columns).toHaveLength(701);
  });

  it('is absent from a rejected file, whose reason says why', async () => {
    const doc = await ingest('datasets/fraud/bad.csv', 'amount,isFraud\n1,0\n2,0\n3,0\n');
    expect(doc).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/"1" never occurs/) });
    expect(doc.report).toBeUndefined();
  });
});
