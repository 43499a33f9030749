import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { cli, cliJson, freePort, killGroup, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

// The twenty trials, about two minutes on an idle machine; MLOOP_FAULT_TRIALS=N runs N instead.
const TRIALS = Number(process.env.MLOOP_FAULT_TRIALS ?? '20');

jest.setTimeout(120_000 + TRIALS * 45_000);

/** mulberry32: the kill points are random but the same on every run, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * kill -9 of the whole `mloop up` process group at a seeded random moment of the loop: the upload
 * being dispatched, the train job writing its model objects, the completion being evaluated and the
 * promotion written. After a restart the loop must end as if nothing happened.
 */
describe('kill -9 of mloop up at seeded random points', () => {
  const data = tempHome('mloop-fault-data-');
  const a = path.join(data, 'a.csv');
  const b = path.join(data, 'b.csv');

  beforeAll(async () => {
    await writeFraudCsv(a, { rows: 2000, seed: 21 });
    await writeFraudCsv(b, { rows: 1500, seed: 22 });
  });
  afterAll(() => fs.rmSync(data, { recursive: true, force: true }));

  it(`ends with the same datasets, one run each, one production model and nothing lost (${TRIALS} trials)`, async () => {
    const random = seeded(20261122);
    for (let trial = 0; trial < TRIALS; trial++) {
      // A single loop takes about 3 s with these files; the kill lands anywhere in it, twice per trial.
      const kills = [Math.floor(random() * 3000), Math.floor(random() * 2000)];
      const home = tempHome(`mloop-fault-${trial}-`);
      const port = await freePort();
      const env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '2' });
      const log = path.join(home, 'up.log');
      const health = () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok);

      let up = startUp(env, log);
      await until('the stack to answer', health);
      cli(['push', a, '--model', 'fraud'], env);
      cli(['push', b, '--model', 'fraud'], env);
      await new Promise((resolve) => setTimeout(resolve, kills[0]));
      await killGroup(up);

      up = startUp(env, log);
      await until('the stack to answer again', health);
      await new Promise((resolve) => setTimeout(resolve, kills[1]));
      await killGroup(up);

      up = startUp(env, log);
      const context = `trial ${trial} (kills after ${kills.join(' ms and ')} ms, home ${home})`;
      const last = up;
      // A run claimed but not yet launched when the stack died is retried only after the reconciler's
      // 60 s claim grace (shared/pipeline/usecases/reconcile_runs.ts), so the wait allows for it.
      const runs = await until(
        `every run to finish in ${context}`,
        () => {
          const all = cliJson<RunView[]>(['runs'], env);
          return all.length >= 2 && all.every((r) => r.status === 'succeeded' || r.status === 'failed') ? all : null;
        },
        100_000,
        200,
      ).catch(async (err: unknown) => {
        await killGroup(last);
        throw err;
      });
      const datasets = cliJson<Array<{ version: string; status: string }>>(['datasets'], env);
      const models = cliJson<Array<{ version: string; stage: string }>>(['models'], env);
      const deadLetters = cliJson<unknown[]>(['dlq'], env);
      expect(await stopGracefully(up)).toBe(0);

      const db = new Database(path.join(home, 'mloop.db'), { readonly: true });
      const undelivered = db.prepare('SELECT topic, data FROM messages').all();
      db.close();

      expect({ context, accepted: datasets.filter((d) => d.status === 'accepted').length }).toEqual({ context, accepted: 2 });
      expect({ context, distinct: new Set(datasets.map((d) => d.version)).size }).toEqual({ context, distinct: datasets.length });
      expect({ context, runs: runs.length, perDataset: new Set(runs.map((r) => r.dataset_version)).size }).toEqual({ context, runs: 2, perDataset: 2 });
      expect({ context, statuses: runs.map((r) => r.status) }).toEqual({ context, statuses: ['succeeded', 'succeeded'] });
      expect({ context, production: models.filter((m) => m.stage === 'production').length }).toEqual({ context, production: 1 });
      expect({ context, deadLetters, undelivered }).toEqual({ context, deadLetters: [], undelivered: [] });
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
