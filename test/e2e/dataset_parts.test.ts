import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { writeFraudCsv, writeFraudParquet } from '../../shared/data/synthetic';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(180_000);

/**
 * `mloop push <folder>` on the running local stack: the folder watcher sees every part and the marker,
 * each as its own event, and the loop makes one dataset version and one run of them.
 */
describe('a folder of 8 parts pushed to the local stack', () => {
  it('is one dataset version and one run, also when pushed again, and so is a folder of 8 Parquet parts', async () => {
    const home = tempHome('mloop-parts-e2e-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '2' });
    const whole = path.join(home, 'fraud.csv');
    await writeFraudCsv(whole, { rows: 2400, seed: 11 });
    const [header, ...lines] = fs.readFileSync(whole, 'utf8').trim().split('\n');
    const folder = path.join(home, 'export-2026-01-01');
    fs.mkdirSync(folder);
    const per = Math.ceil(lines.length / 8);
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(folder, `part-${String(i).padStart(5, '0')}.csv`), `${header}\n${lines.slice(i * per, (i + 1) * per).join('\n')}\n`);
    fs.writeFileSync(path.join(folder, '.part-00000.csv.crc'), 'checksum');

    const up = startUp(env, path.join(home, 'up.log'));
    await until('the stack to answer', () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok));
    const pushed = cliJson<{ object: { name: string }; dataset_version: string; parts: number; run: RunView }>(['push', folder, '--model', 'fraud', '--wait'], env);
    expect(pushed).toMatchObject({ object: { name: 'datasets/fraud/export-2026-01-01/' }, parts: 8 });

    const reader = new Database(path.join(home, 'mloop.db'), { readonly: true });
    // settled: every object's newest generation announced, and every message consumed
    const unannounced = () => (reader
        .prepare("SELECT count(*) AS n FROM objects WHERE bucket = ? AND name LIKE 'datasets/%' AND (notified_generation IS NULL OR notified_generation != generation)")
        .get(configFor(home, {}).dataBucket) as { n: number }).n;
    const pending = () => (reader.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    const settled = async () => {
      await until('every event to be consumed', () => unannounced() === 0 && pending() === 0, 60_000, 100);
      return { datasets: cliJson<Array<{ version: string; status: string; rows: number }>>(['datasets'], env), runs: cliJson<RunView[]>(['runs'], env) };
    };
    const first = await settled();
    expect(first.datasets).toEqual([expect.objectContaining({ version: pushed.dataset_version, status: 'accepted', rows: lines.length })]);
    expect(first.runs).toHaveLength(1);
    expect(first.runs[0]).toMatchObject({ dataset_version: pushed.dataset_version, status: 'succeeded' });

    // the same folder again: every object rewritten, the marker last; the same version, no second run
    const again = cliJson<{ dataset_version: string }>(['push', folder, '--model', 'fraud'], env);
    expect(again.dataset_version).toBe(pushed.dataset_version);
    const second = await settled();
    expect(second.datasets).toHaveLength(1);
    expect(second.runs.map((r) => r.id)).toEqual(first.runs.map((r) => r.id));

    // 8 Parquet parts, as BigQuery's EXPORT DATA names them, of another model: one version, one run
    const exported = path.join(home, 'bq-export');
    fs.mkdirSync(exported);
    for (let i = 0; i < 8; i++) await writeFraudParquet(path.join(exported, `${String(i).padStart(12, '0')}.parquet`), { rows: 300, seed: 20 + i });
    const parquet = cliJson<{ dataset_version: string; parts: number; run: RunView }>(['push', exported, '--model', 'fraudpq', '--wait'], env);
    expect(parquet).toMatchObject({ parts: 8, run: { status: 'succeeded', dataset_version: parquet.dataset_version } });
    const third = await settled();
    expect(third.datasets.filter((d) => d.version === parquet.dataset_version)).toEqual([expect.objectContaining({ status: 'accepted', rows: 2400 })]);
    expect(third.datasets).toHaveLength(2);
    expect(third.runs).toHaveLength(2);

    reader.close();
    expect(await stopGracefully(up)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
