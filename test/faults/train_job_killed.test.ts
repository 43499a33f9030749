import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { RunDoc } from '../../shared/pipeline/store/documents';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

jest.setTimeout(180_000);

const INSTANCE = { step: 1, type: 'TRANSFER', amount: 181, nameOrig: 'C1', oldbalanceOrg: 181, newbalanceOrig: 0, nameDest: 'C2', oldbalanceDest: 0, newbalanceDest: 0 };

/**
 * Only the train job dies (SIGKILL mid-epoch), the stack lives on: the run is retried as a new
 * attempt while attempts remain, then failed with the cause; the production model answers throughout.
 */
describe('the train job killed mid-epoch', () => {
  it('is retried per MLOOP_RUN_MAX_ATTEMPTS, then failed with the cause, while production keeps serving', async () => {
    const home = tempHome('mloop-jobkill-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '40', MLOOP_RUN_MAX_ATTEMPTS: '2' });
    const small = path.join(home, 'small.csv');
    const big = path.join(home, 'big.csv');
    await writeFraudCsv(small, { rows: 1000, seed: 31 });
    await writeFraudCsv(big, { rows: 40_000, seed: 32 });
    const api = <T>(route: string) => fetch(`http://127.0.0.1:${port}${route}`).then((r) => (r.ok ? (r.json() as Promise<T>) : null));
    const up = startUp(env, path.join(home, 'up.log'));
    await until('the stack to answer', () => api('/health'));

    cli(['push', small, '--model', 'fraud'], env);
    const production = await until('a production model', () =>
      cliJson<Array<{ version: string; stage: string }>>(['models'], env).find((m) => m.stage === 'production'),
    );

    let scoring = true;
    const statuses: number[] = [];
    const served = new Set<string>();
    const scorer = (async () => {
      while (scoring) {
        const response = await fetch(`http://127.0.0.1:${port}/score/fraud`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [INSTANCE] }),
        });
        statuses.push(response.status);
        if (response.ok) served.add(((await response.json()) as { model_version: string }).model_version);
        else await response.text();
      }
    })();

    cli(['push', big, '--model', 'fraud'], env);
    const db = new Database(path.join(home, 'mloop.db'), { readonly: true });
    const killMidEpoch = async (attempt: number) => {
      const run = await until(
        `attempt ${attempt} to be between epochs`,
        async () => (await api<{ runs: RunView[] }>('/api/runs'))?.runs.find((r) => r.status === 'running' && r.attempt === attempt && r.progress && r.progress.iteration >= 1 && r.progress.iteration < r.progress.iterations),
        90_000,
        20,
      );
      const { pid } = db.prepare("SELECT pid FROM executions WHERE run_id = ? AND attempt = ? AND state = 'running'").get(run.id, attempt) as { pid: number };
      process.kill(pid, 'SIGKILL');
      return run.id;
    };
    const runId = await killMidEpoch(1);
    expect(await killMidEpoch(2)).toBe(runId);
    const failed = await until('the run to fail', async () => {
      const run = await api<RunDoc>(`/api/runs/${runId}`);
      return run?.status === 'failed' ? run : null;
    });
    scoring = false;
    await scorer;
    db.close();

    expect(failed.attempt).toBe(2);
    expect(failed.error).toMatch(/^attempt 2 of 2 failed: execution .* failed: killed by SIGKILL$/);
    expect(cliJson<RunView[]>(['runs'], env)).toHaveLength(2);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect([...served]).toEqual([production.version]);
    expect(cliJson<Array<{ version: string; stage: string }>>(['models'], env).filter((m) => m.stage === 'production')).toEqual([expect.objectContaining({ version: production.version })]);

    expect(await stopGracefully(up)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
