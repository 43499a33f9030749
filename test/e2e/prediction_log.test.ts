import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { PredictionLog } from '../../shared/serving/prediction_log';
import { readPredictions } from '../../shared/pipeline/store/prediction_records';
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
  it('buffers scores and writes them as NDJSON per model and day, read back by time window', async () => {
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1000 });
    log.record('r1', 'fraud', 'v1', [{ amount: 1 }, { amount: 2 }], [{ score: 0.1, label: 0 }, { score: 0.9, label: 1 }]);
    now = new Date('2026-11-22T00:00:01.000Z');
    log.record('r2', 'fraud', 'v1', [{ amount: 3 }], [{ score: 0.5, label: 0 }]);
    log.record('r3', 'churn', 'v4', [{ tenure: 12 }], [{ score: 0.2, label: 0 }]);
    expect(await platform.objects.list(config.artifactsBucket, 'predictions/')).toHaveLength(0);
    await log.stop();

    const names = (await platform.objects.list(config.artifactsBucket, 'predictions/')).map((o) => o.name);
    expect(names).toHaveLength(3);
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
});
