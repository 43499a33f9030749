import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { TOPICS } from '../../shared/core/events';
import { writeFraudCsv } from '../../shared/data/synthetic';
import { configFor } from '../../shared/core/config';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { LocalEventBus } from '../../shared/platform/local/event_bus';
import { openDatabase } from '../../shared/platform/local/sqlite';
import { cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

jest.setTimeout(120_000);

const SPY = 'fault-spy-';

/**
 * At-least-once delivery means any event may come again, late: every event the loop published is
 * delivered a second and a third time, newest first, into the live stack. The datasets, runs and
 * registry must end exactly as they were after the single delivery.
 */
describe('every event delivered again, twice and out of order, on the local queue', () => {
  it('leaves the end state of single delivery unchanged', async () => {
    const home = tempHome('mloop-dup-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '2' });
    const a = path.join(home, 'a.csv');
    const b = path.join(home, 'b.csv');
    await writeFraudCsv(a, { rows: 2000, seed: 41 });
    await writeFraudCsv(b, { rows: 1500, seed: 42 });

    // Subscriptions nobody consumes keep a copy of every event the loop publishes, for the replay.
    const db = openDatabase(home);
    const bus = new LocalEventBus(db, configFor(home, { MLOOP_LOG_LEVEL: 'silent' }));
    for (const topic of Object.values(TOPICS)) await bus.ensureSubscription(topic, `${SPY}${topic}`);

    const up = startUp(env, path.join(home, 'up.log'));
    await until('the stack to answer', () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok));
    cli(['push', a, '--model', 'fraud'], env);
    cli(['push', b, '--model', 'fraud'], env);

    const reader = new Database(path.join(home, 'mloop.db'), { readonly: true });
    const pendingForTheLoop = () => (reader.prepare(`SELECT count(*) AS n FROM messages WHERE subscription NOT LIKE '${SPY}%'`).get() as { n: number }).n;
    const state = () => ({
      datasets: cliJson<Array<{ version: string; status: string }>>(['datasets'], env).map((d) => ({ version: d.version, status: d.status })),
      runs: cliJson<RunView[]>(['runs'], env).map((r) => ({ id: r.id, model_version: r.model_version, dataset_version: r.dataset_version, status: r.status, attempt: r.attempt, promoted: r.promoted })),
      models: cliJson<Array<{ version: string; stage: string; run_id: string }>>(['models'], env).map((m) => ({ version: m.version, stage: m.stage, run_id: m.run_id })),
    });
    const settled = async (what: string) =>
      until(
        what,
        () => {
          if (pendingForTheLoop() > 0) return null;
          const s = state();
          return s.runs.length === 2 && s.runs.every((r) => r.status === 'succeeded' || r.status === 'failed') && pendingForTheLoop() === 0 ? s : null;
        },
        60_000,
        200,
      );
    const single = await settled('the loop to finish after single delivery');

    const published = reader.prepare(`SELECT topic, data FROM messages WHERE subscription LIKE '${SPY}%' ORDER BY seq DESC`).all() as Array<{ topic: string; data: string }>;
    expect(new Set(published.map((m) => m.topic))).toEqual(new Set([TOPICS.objectFinalized, TOPICS.trainingRequested, TOPICS.trainingCompleted, TOPICS.modelPromoted, TOPICS.runSlotFreed]));
    for (let copy = 0; copy < 2; copy++) {
      for (const message of published) await bus.publish(message.topic, JSON.parse(message.data));
    }
    await until('the replayed events to be consumed', () => pendingForTheLoop() === 0, 60_000, 100);
    const replayed = await settled('the loop to settle after the replay');

    expect(replayed).toEqual(single);
    expect(cliJson<unknown[]>(['dlq'], env)).toEqual([]);

    reader.close();
    await bus.close();
    db.close();
    expect(await stopGracefully(up)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
