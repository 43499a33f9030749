import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { PredictionLog } from '../../shared/serving/prediction_log';
import { predictionObjectPrefix, readPredictions, shadowObjectPrefix } from '../../shared/pipeline/store/prediction_records';
import { forEachPrediction } from '../../shared/pipeline/monitoring/prediction_window';
import { createPlatform } from '../../shared/platform';
import type { Clock } from '../../shared/platform/ports';
import { tempHome, until } from './helpers';

const home = tempHome('mloop-predlog-');
const config = configFor(home);
let now = new Date('2026-11-21T23:59:59.000Z');
const clock: Clock = { now: () => now, sleep: async () => {} };
const platform = createPlatform(config, createLogger('silent'));
const ctx: Context = { config, log: createLogger('silent'), platform: { ...platform, clock } };

afterAll(async () => {
  await platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the prediction log', () => {
  it('buffers scores and writes them as one Parquet file per model and day, read back by time window', async () => {
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1000 });
    log.record('r1', 'fraud', 'v1', [{ amount: 1 }, { amount: 2 }], [{ score: 0.1, label: 0 }, { score: 0.9, label: 1 }]);
    now = new Date('2026-11-22T00:00:01.000Z');
    log.record('r2', 'fraud', 'v1', [{ amount: 3 }], [{ score: 0.5, label: 0 }]);
    log.record('r3', 'churn', 'v4', [{ tenure: 12 }], [{ score: 0.2, label: 0 }]);
    expect(await platform.objects.list(config.artifactsBucket, 'predictions/')).toHaveLength(0);
    await log.stop();

    const names = (await platform.objects.list(config.artifactsBucket, 'predictions/')).map((o) => o.name);
    expect(names).toHaveLength(3);
    expect(names.every((n) => n.endsWith('.parquet'))).toBe(true);
    expect(names.filter((n) => n.startsWith('predictions/dt=2026-11-21/model=fraud/'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('predictions/dt=2026-11-22/model=fraud/'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('predictions/dt=2026-11-22/model=churn/'))).toHaveLength(1);

    const all = await readPredictions(ctx, 'fraud', new Date('2026-11-21T00:00:00Z'), new Date('2026-11-22T23:00:00Z'));
    expect(all.map((r) => [r.request_id, r.index, r.features.amount])).toEqual([
      ['r1', 0, 1],
      ['r1', 1, 2],
      ['r2', 0, 3],
    ]);
    const lastDay = await readPredictions(ctx, 'fraud', new Date('2026-11-22T00:00:00Z'), new Date('2026-11-22T23:00:00Z'));
    expect(lastDay.map((r) => r.request_id)).toEqual(['r2']);
  });

  it('writes its files without spending the server\'s CPU on checksums; listed, they have their MD5', async () => {
    const put = jest.spyOn(platform.objects, 'put');
    try {
      const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1000 });
      log.record('c1', 'checksummed', 'v1', [{ amount: 7 }], [{ score: 0.3, label: 0 }]);
      await log.stop();
      expect(put).toHaveBeenCalledTimes(1);
      expect(put.mock.calls[0][3]).toMatchObject({ checksum: false, durable: false });
      const [object] = await platform.objects.list(config.artifactsBucket, predictionObjectPrefix('checksummed', now.toISOString().slice(0, 10)));
      const bytes = await platform.objects.get(config.artifactsBucket, object.name);
      expect(object.md5Hash).toBe(createHash('md5').update(bytes).digest('base64'));
    } finally {
      put.mockRestore();
    }
  });

  it('samples whole requests at the configured rate', async () => {
    const draws = [0.05, 0.5, 0.95, 0.2];
    const log = new PredictionLog(ctx, { sampleRate: 0.3, flushEveryMs: 60_000, maxBuffered: 1000 }, () => draws.shift()!);
    now = new Date('2026-11-23T10:00:00.000Z');
    for (const id of ['s1', 's2', 's3', 's4']) log.record(id, 'sampled', 'v1', [{ a: 1 }, { a: 2 }], [{ score: 0 }, { score: 1 }]);
    await log.stop();
    const kept = await readPredictions(ctx, 'sampled', new Date('2026-11-23T00:00:00Z'), new Date('2026-11-23T23:00:00Z'));
    expect(kept.map((r) => `${r.request_id}/${r.index}`)).toEqual(['s1/0', 's1/1', 's4/0', 's4/1']);
  });

  it('flushes by itself when the buffer fills, without being asked', async () => {
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 3 });
    now = new Date('2026-11-24T10:00:00.000Z');
    log.record('f1', 'full', 'v1', [{ a: 1 }, { a: 2 }, { a: 3 }], [{}, {}, {}]);
    const written = await until('the full buffer to be written', async () => {
      const objects = await platform.objects.list(config.artifactsBucket, 'predictions/dt=2026-11-24/');
      return objects.length > 0 ? objects : null;
    }, 5_000, 10);
    expect(written).toHaveLength(1);
    await log.stop();
  });

  it('writes each flush whole, though every file after the first is encoded in the memory of the one before', async () => {
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1_000_000 });
    now = new Date('2026-11-25T10:00:00.000Z');
    const wide = Array.from({ length: 500 }, (_, i) => ({ a: i, b: `t${i % 3}`, c: i / 7 }));
    log.record('w1', 'reuse', 'v1', wide, wide.map((_, i) => ({ score: i / 500 })));
    await log.flush();
    const [first] = await platform.objects.list(config.artifactsBucket, 'predictions/dt=2026-11-25/model=reuse/');
    const firstBytes = await platform.objects.get(config.artifactsBucket, first.name);
    log.record('w2', 'reuse', 'v1', [{ a: -1 }], [{ score: 0.25 }]);
    await log.flush();
    await log.stop();
    expect((await platform.objects.get(config.artifactsBucket, first.name)).equals(firstBytes)).toBe(true);
    const rows = await readPredictions(ctx, 'reuse', new Date('2026-11-25T00:00:00Z'), new Date('2026-11-25T23:00:00Z'));
    expect(rows).toHaveLength(501);
    expect(rows.filter((r) => r.request_id === 'w1').map((r) => r.features)).toEqual(wide);
    expect(rows.filter((r) => r.request_id === 'w2').map((r) => [r.features, r.prediction])).toEqual([[{ a: -1 }, { score: 0.25 }]]);
  });

  it('reads a log written before the upgrade (NDJSON) beside the Parquet batches written after it', async () => {
    now = new Date('2026-11-25T10:00:00.000Z');
    const old = (id: string, index: number, amount: number | null) =>
      JSON.stringify({ request_id: id, index, model: 'mixed', model_version: 'v1', time: '2026-11-25T09:00:00.000Z', features: { amount, type: 'A' }, prediction: { score: 0.5, label: 0 } });
    await platform.objects.put(config.artifactsBucket, `${predictionObjectPrefix('mixed', '2026-11-25')}20261125T090000000Z-old-0.ndjson`, `${old('o1', 0, 7)}\n${old('o1', 1, null)}\n`);
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1000 });
    log.record('n1', 'mixed', 'v2', [{ amount: 8, type: 'B' }], [{ score: 0.9, label: 1 }]);
    await log.stop();

    const window = [new Date('2026-11-25T00:00:00Z'), new Date('2026-11-25T23:00:00Z')] as const;
    const read = await readPredictions(ctx, 'mixed', ...window);
    expect(read.map((r) => [r.request_id, r.index, r.model_version, r.features.amount, r.prediction.score])).toEqual([
      ['o1', 0, 'v1', 7, 0.5],
      ['o1', 1, 'v1', null, 0.5],
      ['n1', 0, 'v2', 8, 0.9],
    ]);
    const visited: string[] = [];
    await forEachPrediction(ctx, 'mixed', ...window, (r) => visited.push(`${r.request_id}/${r.index}/${r.features.type}`));
    expect(visited.sort()).toEqual(['n1/0/B', 'o1/0/A', 'o1/1/A']);
  });

  it('writes what is buffered on stop, served and shadow batches apart, and skips a damaged batch without losing the others', async () => {
    now = new Date('2026-11-26T10:00:00.000Z');
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1_000_000 });
    log.start();
    for (let r = 0; r < 50; r++) log.record(`b${r}`, 'kept', 'v1', [{ x: r }, { x: r + 0.5 }], [{ score: r / 50 }, { score: 1 }]);
    log.record('b0', 'kept', 'v2', [{ x: 0 }, { x: 0.5 }], [{ score: 0.3 }, { score: 0.4 }], true);
    expect(await platform.objects.list(config.artifactsBucket, 'predictions/dt=2026-11-26/')).toHaveLength(0);
    await log.stop();

    const served = await platform.objects.list(config.artifactsBucket, predictionObjectPrefix('kept', '2026-11-26'));
    const shadow = await platform.objects.list(config.artifactsBucket, shadowObjectPrefix('kept', '2026-11-26'));
    expect([served.length, shadow.length]).toEqual([1, 1]);
    const window = [new Date('2026-11-26T00:00:00Z'), new Date('2026-11-26T23:00:00Z')] as const;
    const read = await readPredictions(ctx, 'kept', ...window);
    expect(read).toHaveLength(100);
    expect(read.every((r) => r.shadow === undefined && r.model_version === 'v1')).toBe(true);
    expect(read.filter((r) => r.request_id === 'b49').map((r) => r.features.x)).toEqual([49, 49.5]);
    const shadowed = await readPredictions(ctx, 'kept@shadow', ...window);
    expect(shadowed.map((r) => [r.request_id, r.index, r.model_version, r.shadow, r.prediction.score])).toEqual([
      ['b0', 0, 'v2', true, 0.3],
      ['b0', 1, 'v2', true, 0.4],
    ]);

    await platform.objects.put(config.artifactsBucket, `${predictionObjectPrefix('kept', '2026-11-26')}20261126T100000000Z-cut-0.parquet`, Buffer.from('PAR1 cut short'));
    expect(await readPredictions(ctx, 'kept', ...window)).toHaveLength(100);
  });
});
