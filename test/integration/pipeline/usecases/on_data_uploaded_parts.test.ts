/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, TrainingRequested } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { readManifest } from '../../../../shared/pipeline/artifacts/model_files';
import { storeOf } from '../../../../shared/pipeline/store';
import { ingestObject, type IngestResult } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../../../shared/pipeline/usecases/on_training_requested';
import { runTrainingJob } from '../../../../shared/pipeline/usecases/run_training_job';
import { createPlatform } from '../../../../shared/platform';
import { RecordingLauncher } from '../../../support/recording_launcher';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { pushDataset } from '../../../../cli/push';

/**
 * A dataset in parts: datasets/<model>/<name>/ with part files and a completion marker is one dataset
 * version and one run, read when the marker lands, whatever order its objects' events arrive in.
 * SQLite for the documents and the queue, a folder for the bucket; the job runs in process.
 */
let home: string;
let ctx: Context;
let launcher: RecordingLauncher;
const requests: TrainingRequested[] = [];

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-parts-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '5', MLOOP_TRAIN_WORKERS: '1' });
  launcher = new RecordingLauncher();
  ctx = { config, log: createLogger('silent'), platform: { ...createPlatform(config), jobs: launcher } };
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
  requests.length = 0;
});

afterEach(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const HEADER = 'amount,kind,label';
/** Rows whose label follows amount, so a model trained on all the parts has something to learn. */
const rows = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const positive = i % 4 === 0;
    return `${(positive ? 50 : 10) + (i % 13)},${i % 3 ? 'a' : 'b'},${positive ? 'yes' : 'no'}`;
  });
const PER_PART = 60;
const partName = (i: number) => `part-${String(i).padStart(5, '0')}.csv`;
const partBody = (i: number) => `${HEADER}\n${rows(i * PER_PART, PER_PART).join('\n')}\n`;

const CONFIG = { target: 'label', positive_class: 'yes', algorithm: 'logistic', params: { batch_size: 64, learning_rate: 0.05 }, epochs: 2, seed: 3 };

async function put(name: string, body: string | Buffer) {
  const meta = await ctx.platform.objects.put(ctx.config.dataBucket, name, body);
  return { bucket: meta.bucket, name: meta.name, generation: meta.generation };
}
const deliver = (event: { bucket: string; name: string; generation: string }) => ingestObject(ctx, event);

/** Every training request published so far (`count` of them), each handled as the stack would. */
async function runsFromRequests(count: number): Promise<string[]> {
  const subscription = await ctx.platform.bus.subscribe('probe', async (message) => {
    requests.push(TrainingRequested.parse(message.data));
  });
  const deadline = Date.now() + 10_000;
  while (requests.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await subscription.close();
  expect(requests).toHaveLength(count);
  for (const request of requests) await requestTraining(ctx, request);
  return (await storeOf(ctx).runs.list({ model: 'fraud' })).map((r) => r.id);
}

const accepted = (results: IngestResult[]) => results.filter((r): r is Extract<IngestResult, { outcome: 'accepted' }> => r.outcome === 'accepted');

describe('a prefix of 8 parts and _SUCCESS', () => {
  it('is one dataset version of all the parts\' rows and one run, which the job trains on every part', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    const results: IngestResult[] = [];
    for (let i = 0; i < 8; i++) {
      const result = await deliver(await put(`datasets/fraud/export-1/${partName(i)}`, partBody(i)));
      // a part before its marker: not read, not an error, and the reason says what it waits for
      expect(result).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/a part of a dataset in parts: datasets\/fraud\/export-1\/ is read once datasets\/fraud\/export-1\/_SUCCESS/) });
      results.push(result);
    }
    const marker = await put('datasets/fraud/export-1/_SUCCESS', '');
    results.push(await deliver(marker));
    // redelivered
    results.push(await deliver(marker));
    const ok = accepted(results);
    expect(ok).toHaveLength(2);
    expect(ok[1]).toEqual(ok[0]);

    const datasets = (await storeOf(ctx).datasets.list()).filter((d) => d.model === 'fraud');
    expect(datasets).toHaveLength(1);
    const [doc] = datasets;
    expect(doc).toMatchObject({ status: 'accepted', rows: 8 * PER_PART, header: ['amount', 'kind', 'label'], version: ok[0].version });
    expect(doc.object.name).toBe('datasets/fraud/export-1/');
    expect(doc.parts!.map((p) => p.name)).toEqual(Array.from({ length: 8 }, (_, i) => `datasets/fraud/export-1/${partName(i)}`));
    expect(ok[0].requestId).toBe(`upload:fraud:${doc.version}`);

    const runs = await runsFromRequests(2);
    expect(runs).toHaveLength(1);
    const run = (await storeOf(ctx).runs.get(runs[0]))!;
    expect(run.dataset_version).toBe(doc.version);
    expect(await runTrainingJob(ctx, run.id, run.attempt)).toBe('succeeded');
    const trained = (await storeOf(ctx).runs.get(run.id))!;
    // the holdout is a fifth of every part's rows together: the job read them all
    expect(trained.holdout!.rows).toBeGreaterThan(PER_PART);
    expect((await readManifest(ctx, 'fraud', run.model_version)).dataset).toMatchObject({ version: doc.version, uri: `${ctx.config.dataBucket}/datasets/fraud/export-1/` });
  });

  it('is the same version and one run when the marker\'s event arrives before the parts\' events, and again later', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    // written in export order (parts, then _SUCCESS last), delivered in another
    const parts = [];
    for (let i = 0; i < 8; i++) parts.push(await put(`datasets/fraud/export-2/${partName(i)}`, partBody(i)));
    const marker = await put('datasets/fraud/export-2/_SUCCESS', '');
    const results = [await deliver(marker)];
    for (const part of parts.reverse()) results.push(await deliver(part));
    results.push(await deliver(marker));
    const ok = accepted(results);
    expect(ok).toHaveLength(2);
    expect(ok[1]).toEqual(ok[0]);
    for (const late of results.slice(1, 9)) expect(late).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/a part of a dataset in parts/) });
    expect((await storeOf(ctx).datasets.list()).filter((d) => d.model === 'fraud')).toHaveLength(1);
    expect(await runsFromRequests(2)).toHaveLength(1);

    // the same parts under another prefix are the same dataset version, and no second run
    for (let i = 0; i < 8; i++) await put(`datasets/fraud/export-3/${partName(i)}`, partBody(i));
    const again = await deliver(await put('datasets/fraud/export-3/_SUCCESS', ''));
    expect(again).toEqual(ok[0]);
  });

  it('waits, with the reason, when _SUCCESS lands before any part', async () => {
    const result = await deliver(await put('datasets/fraud/early/_SUCCESS', ''));
    expect(result).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/_SUCCESS landed but datasets\/fraud\/early\/ holds no part yet/) });
    expect(await storeOf(ctx).datasets.list()).toHaveLength(0);
  });

  it('rejects parts whose headers differ, naming the part', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    await put(`datasets/fraud/bad/${partName(0)}`, partBody(0));
    await put(`datasets/fraud/bad/${partName(1)}`, `amount,channel,label\n${rows(0, 5).join('\n')}\n`);
    const result = await deliver(await put('datasets/fraud/bad/_SUCCESS', ''));
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/part datasets\/fraud\/bad\/part-00001\.csv's header does not match datasets\/fraud\/bad\/part-00000\.csv's: it lacks kind and adds channel/) });
    const [doc] = await storeOf(ctx).datasets.list();
    expect(doc).toMatchObject({ status: 'rejected', object: { name: 'datasets/fraud/bad/' } });
  });

  it('rejects a prefix holding a file that is not a part, and skips hidden files', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    await put(`datasets/fraud/mixed/${partName(0)}`, partBody(0));
    await put('datasets/fraud/mixed/.part-00000.csv.crc', 'x');
    await put('datasets/fraud/mixed/_temporary/0/part-00009.csv', 'x');
    await put('datasets/fraud/mixed/notes.txt', 'hello');
    const result = await deliver(await put('datasets/fraud/mixed/_SUCCESS', ''));
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/holds a file that is not \.csv or \.parquet parts directly in it: notes\.txt/) });
  });

  it('keeps header-only and empty parts out of the rows, and a part without a final line break apart from the next', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    await put('datasets/fraud/edges/part-0.csv', '');
    await put('datasets/fraud/edges/part-1.csv', `${HEADER}\n${rows(0, 40).join('\n')}`);
    await put('datasets/fraud/edges/part-2.csv', `${HEADER}\n`);
    await put('datasets/fraud/edges/part-3.csv', `${HEADER}\n${rows(40, 40).join('\n')}\n`);
    const result = await deliver(await put('datasets/fraud/edges/_SUCCESS', ''));
    expect(result.outcome).toBe('accepted');
    const [doc] = await storeOf(ctx).datasets.list();
    expect(doc).toMatchObject({ rows: 80, rejected_count: 0 });
  });
});

describe('manifest.json', () => {
  const manifest = (names: string[], extra: Record<string, unknown> = {}) => JSON.stringify({ parts: names.map((name) => ({ name, ...extra })) });

  it('landing first waits, naming the missing parts; the part that completes it records the one version and one run', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    const names = Array.from({ length: 8 }, (_, i) => partName(i));
    const early = await deliver(await put('datasets/fraud/m1/manifest.json', manifest(names)));
    expect(early).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/waiting for 8 of the 8 parts datasets\/fraud\/m1\/manifest\.json lists: part-00000\.csv, .* and 3 more/) });
    const results: IngestResult[] = [];
    for (let i = 0; i < 8; i++) results.push(await deliver(await put(`datasets/fraud/m1/${partName(i)}`, partBody(i))));
    expect(results.slice(0, 7).every((r) => r.outcome === 'ignored')).toBe(true);
    expect(results[6]).toMatchObject({ reason: expect.stringMatching(/part-00006\.csv landed; waiting for 1 of the 8 parts .*: part-00007\.csv/) });
    expect(results[7].outcome).toBe('accepted');
    // the manifest's event redelivered, and a part's
    results.push(await deliver({ bucket: ctx.config.dataBucket, name: 'datasets/fraud/m1/manifest.json', generation: '1' }));
    results.push(await deliver({ bucket: ctx.config.dataBucket, name: `datasets/fraud/m1/${partName(3)}`, generation: '1' }));
    const ok = accepted(results);
    expect(ok).toHaveLength(3);
    expect(new Set(ok.map((r) => JSON.stringify(r))).size).toBe(1);
    const datasets = await storeOf(ctx).datasets.list();
    expect(datasets).toHaveLength(1);
    expect(datasets[0]).toMatchObject({ status: 'accepted', rows: 8 * PER_PART });
    expect(await runsFromRequests(3)).toHaveLength(1);
  });

  it('reads only the parts it lists, and checks the sizes and hashes it gives', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    const a = await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/fraud/m2/a.csv', partBody(0));
    await put('datasets/fraud/m2/b.csv', partBody(1));
    await put('datasets/fraud/m2/stray.csv', `other\n1\n`);
    const sha = (await import('node:crypto')).createHash('sha256').update(partBody(0)).digest('hex');
    const good = await deliver(await put('datasets/fraud/m2/manifest.json', JSON.stringify({ parts: [{ name: 'a.csv', size: a.size, md5Hash: a.md5Hash, sha256: sha }, 'datasets/fraud/m2/b.csv'] })));
    expect(good.outcome).toBe('accepted');
    expect((await storeOf(ctx).datasets.list())[0]).toMatchObject({ rows: 2 * PER_PART });

    const wrongSize = await deliver(await put('datasets/fraud/m3/manifest.json', JSON.stringify({ parts: [{ name: 'a.csv', size: 3 }] })));
    expect(wrongSize).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/waiting for 1 of the 1 parts/) });
    const landed = await deliver(await put('datasets/fraud/m3/a.csv', partBody(0)));
    expect(landed).toMatchObject({ outcome: 'rejected', reason: `datasets/fraud/m3/a.csv is ${a.size} bytes, manifest.json says 3` });
    const traversal = await deliver(await put('datasets/fraud/m4/manifest.json', JSON.stringify({ parts: [{ name: '../m2/a.csv' }] })));
    expect(traversal).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/parts\[0\] name "\.\.\/m2\/a\.csv" is refused: it has a "\.\." path segment/) });
  });
});

describe('object names', () => {
  it('refuses names that climb, are absolute or hide control characters, before reading anything', async () => {
    for (const name of ['datasets/fraud/x/../../other/a.csv', '/datasets/fraud/a.csv', 'datasets/fraud/a\u0007.csv', 'gs://b/datasets/fraud/a.csv', 'datasets//fraud/a.csv']) {
      const result = await deliver({ bucket: ctx.config.dataBucket, name, generation: '1' });
      expect(result).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/^object name .* refused: it (has|is|contains)/) });
    }
  });
});

describe('compose "all" over datasets in parts', () => {
  it('trains on the union of a file and two exports in parts, each export one member, a re-export replacing its prefix\'s', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify({ ...CONFIG, compose: 'all' }));
    const file = await deliver(await put('datasets/fraud/seed.csv', `${HEADER}\n${rows(10_000, 50).join('\n')}\n`));
    expect(file.outcome).toBe('accepted');
    for (let i = 0; i < 3; i++) await put(`datasets/fraud/day-1/${partName(i)}`, partBody(i));
    const day1 = await deliver(await put('datasets/fraud/day-1/_SUCCESS', ''));
    expect(day1.outcome === 'rejected' ? day1.reason : day1.outcome).toBe('accepted');
    const composed1 = (await storeOf(ctx).datasets.get('fraud', day1.outcome === 'accepted' ? day1.version : ''))!;
    expect(composed1).toMatchObject({ status: 'accepted', rows: 50 + 3 * PER_PART });
    expect(composed1.members!.map((m) => m.object).sort()).toEqual(['datasets/fraud/day-1/', 'datasets/fraud/seed.csv']);

    for (let i = 3; i < 5; i++) await put(`datasets/fraud/day-2/${partName(i)}`, partBody(i));
    const day2 = await deliver(await put('datasets/fraud/day-2/_SUCCESS', ''));
    const composed2 = (await storeOf(ctx).datasets.get('fraud', day2.outcome === 'accepted' ? day2.version : ''))!;
    expect(composed2).toMatchObject({ status: 'accepted', rows: 50 + 5 * PER_PART });
    expect(composed2.members!.map((m) => m.object).sort()).toEqual(['datasets/fraud/day-1/', 'datasets/fraud/day-2/', 'datasets/fraud/seed.csv']);
    const text = (await ctx.platform.objects.get(ctx.config.dataBucket, composed2.object.name)).toString('utf8').trim().split('\n');
    expect(text.filter((l) => l === HEADER)).toHaveLength(1);
    expect(new Set(text.slice(1))).toEqual(new Set([...rows(10_000, 50), ...rows(0, 5 * PER_PART)]));

    // day-1 exported again with one part more: it replaces day-1's rows, it does not add to them
    await put(`datasets/fraud/day-1/${partName(5)}`, partBody(5));
    const again = await deliver(await put('datasets/fraud/day-1/_SUCCESS', ''));
    const composed3 = (await storeOf(ctx).datasets.get('fraud', again.outcome === 'accepted' ? again.version : ''))!;
    expect(composed3).toMatchObject({ status: 'accepted', rows: 50 + 6 * PER_PART });
    expect(composed3.members).toHaveLength(3);

    // an export whose columns differ from the oldest member's is refused, naming it
    await put(`datasets/fraud/other/${partName(0)}`, `amount,channel,label\n${rows(0, 5).join('\n')}\n`);
    const other = await deliver(await put('datasets/fraud/other/_SUCCESS', ''));
    expect(other).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/columns do not match datasets\/fraud\/seed\.csv's.*lacks kind and adds channel/) });
  });
});

describe('a prefix of 8 Parquet parts and _SUCCESS', () => {
  /** A part as an export writes it: typed columns, one of them with nulls. */
  const parquetPart = (i: number, columns = ['amount', 'kind', 'label']) => {
    const cells = rows(i * PER_PART, PER_PART).map((line) => line.split(','));
    const columnData = [
      { name: columns[0], type: 'DOUBLE' as const, data: cells.map((c, r) => (r % 17 === 5 ? null : Number(c[0]))) },
      { name: columns[1], type: 'STRING' as const, data: cells.map((c) => c[1]) },
      { name: columns[2], type: 'STRING' as const, data: cells.map((c) => c[2]) },
    ];
    return Buffer.from(parquetWriteBuffer({ columnData }));
  };

  it('is one dataset version of every part\'s rows and one run, marker first or redelivered; the job reads the parts by range', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    const parts = [];
    for (let i = 0; i < 8; i++) parts.push(await put(`datasets/fraud/bq-export/${String(i).padStart(12, '0')}.parquet`, parquetPart(i)));
    const marker = await put('datasets/fraud/bq-export/_SUCCESS', '');
    const results = [await deliver(marker)];
    for (const part of parts) results.push(await deliver(part));
    results.push(await deliver(marker));
    const ok = accepted(results);
    expect(ok).toHaveLength(2);
    expect(ok[1]).toEqual(ok[0]);
    const datasets = await storeOf(ctx).datasets.list();
    expect(datasets).toHaveLength(1);
    expect(datasets[0]).toMatchObject({ status: 'accepted', rows: 8 * PER_PART, header: ['amount', 'kind', 'label'] });
    expect(datasets[0].report!.columns!.find((c) => c.name === 'amount')).toMatchObject({ kind: 'numeric' });

    const runs = await runsFromRequests(2);
    expect(runs).toHaveLength(1);
    const run = (await storeOf(ctx).runs.get(runs[0]))!;
    expect(await runTrainingJob(ctx, run.id, run.attempt)).toBe('succeeded');
    const trained = (await storeOf(ctx).runs.get(run.id))!;
    expect(trained.holdout!.rows).toBeGreaterThan(PER_PART);
    expect(trained.metrics!.auc).toBeGreaterThan(0.9);
  });

  it('rejects parts of other columns, naming the part, and parts of two formats', async () => {
    await put('datasets/fraud/mloop.json', JSON.stringify(CONFIG));
    await put('datasets/fraud/pq-bad/part-0.parquet', parquetPart(0));
    await put('datasets/fraud/pq-bad/part-1.parquet', parquetPart(1, ['amount', 'channel', 'label']));
    const bad = await deliver(await put('datasets/fraud/pq-bad/_SUCCESS', ''));
    expect(bad).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/part datasets\/fraud\/pq-bad\/part-1\.parquet's columns \(amount,channel,label\) are not datasets\/fraud\/pq-bad\/part-0\.parquet's/) });

    await put('datasets/fraud/mixed-formats/part-0.parquet', parquetPart(0));
    await put('datasets/fraud/mixed-formats/part-1.csv', partBody(1));
    const mixed = await deliver(await put('datasets/fraud/mixed-formats/_SUCCESS', ''));
    expect(mixed).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/mixes part formats \(parquet, csv\)|mixes part formats \(csv, parquet\)/) });
  });
});

describe('mloop push of a folder', () => {
  it('uploads the parts, then the marker last, with the version the ingest records and the tags on its request', async () => {
    const folder = path.join(home, 'day-1');
    fs.mkdirSync(folder);
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(folder, partName(i)), partBody(i));
    fs.writeFileSync(path.join(folder, '.part-00000.csv.crc'), 'x');
    const pushed = await pushDataset(ctx, folder, { model: 'fraud', target: 'label', positive: 'yes', tags: { source: 'export' } });
    expect(pushed).toMatchObject({ model: 'fraud', parts: 3, object: { name: 'datasets/fraud/day-1/' } });
    const listed = await ctx.platform.objects.list(ctx.config.dataBucket, 'datasets/fraud/day-1/');
    expect(listed.map((o) => o.name).sort()).toEqual(['_SUCCESS', '_tags.json', partName(0), partName(1), partName(2)].map((n) => `datasets/fraud/day-1/${n}`));
    const marker = listed.find((o) => o.name.endsWith('_SUCCESS'))!;
    for (const other of listed.filter((o) => o !== marker)) expect(BigInt(other.generation)).toBeLessThan(BigInt(marker.generation));

    const result = await deliver({ bucket: marker.bucket, name: marker.name, generation: marker.generation });
    expect(result).toMatchObject({ outcome: 'accepted', version: pushed.dataset_version });
    await runsFromRequests(1);
    expect(requests[0].tags).toEqual({ source: 'export' });

    // pushed again with a part fewer: the part left from the first push is removed, not read
    fs.rmSync(path.join(folder, partName(2)));
    const again = await pushDataset(ctx, folder, { model: 'fraud' });
    const names = (await ctx.platform.objects.list(ctx.config.dataBucket, 'datasets/fraud/day-1/')).map((o) => o.name);
    expect(names.sort()).toEqual(['_SUCCESS', partName(0), partName(1)].map((n) => `datasets/fraud/day-1/${n}`));
    const second = await deliver(await ctx.platform.objects.stat(ctx.config.dataBucket, 'datasets/fraud/day-1/_SUCCESS').then((m) => ({ bucket: m!.bucket, name: m!.name, generation: m!.generation })));
    expect(second).toMatchObject({ outcome: 'accepted', version: again.dataset_version });
    expect((await storeOf(ctx).datasets.get('fraud', again.dataset_version))!.rows).toBe(2 * PER_PART);
  });

  it('pushes a single Parquet file as a dataset, with the version the ingest records, and refuses other files', async () => {
    const file = path.join(home, 'day-2.parquet');
    const columns = ['amount', 'kind', 'label'];
    const cells = rows(0, PER_PART).map((line) => line.split(','));
    fs.writeFileSync(
      file,
      Buffer.from(parquetWriteBuffer({ columnData: columns.map((name, c) => ({ name, type: c === 0 ? ('DOUBLE' as const) : ('STRING' as const), data: cells.map((r) => (c === 0 ? Number(r[c]) : r[c])) })) })),
    );
    const pushed = await pushDataset(ctx, file, { model: 'fraud', target: 'label', positive: 'yes' });
    expect(pushed.object).toMatchObject({ name: 'datasets/fraud/day-2.parquet', contentType: 'application/vnd.apache.parquet' });
    const result = await deliver({ bucket: pushed.object.bucket, name: pushed.object.name, generation: pushed.object.generation });
    expect(result).toMatchObject({ outcome: 'accepted', version: pushed.dataset_version });
    expect((await storeOf(ctx).datasets.get('fraud', pushed.dataset_version))!.rows).toBe(PER_PART);

    const other = path.join(home, 'day-2.json');
    fs.writeFileSync(other, '{}');
    await expect(pushDataset(ctx, other, { model: 'fraud' })).rejects.toThrow(/only \.csv and \.parquet files are datasets/);
  });

  it('uploads a folder\'s manifest.json as its marker, checked before any part is uploaded', async () => {
    const folder = path.join(home, 'listed');
    fs.mkdirSync(folder);
    for (let i = 0; i < 2; i++) fs.writeFileSync(path.join(folder, partName(i)), partBody(i));
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify({ parts: [partName(0), partName(1), partName(7)] }));
    await expect(pushDataset(ctx, folder, { model: 'fraud', target: 'label', positive: 'yes' })).rejects.toThrow(/manifest\.json lists parts .* does not hold: part-00007\.csv/);
    expect(await ctx.platform.objects.list(ctx.config.dataBucket, 'datasets/fraud/listed/')).toEqual([]);

    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify({ parts: [partName(0), partName(1)] }));
    fs.writeFileSync(path.join(folder, 'bad\u0007name.csv'), partBody(2));
    await expect(pushDataset(ctx, folder, { model: 'fraud', name: 'renamed' })).rejects.toThrow(/bad\u0007name\.csv cannot be an object name: it contains a control character; rename it/);
    fs.rmSync(path.join(folder, 'bad\u0007name.csv'));
    await expect(pushDataset(ctx, folder, { model: 'fraud', name: '../up' })).rejects.toThrow(/dataset folder "\.\.\/up" must be letters/);
    const pushed = await pushDataset(ctx, folder, { model: 'fraud', name: 'renamed' });
    const marker = (await ctx.platform.objects.stat(ctx.config.dataBucket, 'datasets/fraud/renamed/manifest.json'))!;
    expect(await ctx.platform.objects.stat(ctx.config.dataBucket, 'datasets/fraud/renamed/_SUCCESS')).toBeNull();
    expect(await deliver({ bucket: marker.bucket, name: marker.name, generation: marker.generation })).toMatchObject({ outcome: 'accepted', version: pushed.dataset_version });
  });
});
