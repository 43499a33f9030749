import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import type { RunLogs } from '../../shared/pipeline/read_models/run_logs';
import type { RunDoc } from '../../shared/pipeline/store/documents';
import { reconcileRuns } from '../../shared/pipeline/usecases/reconcile_runs';
import { createPlatform } from '../../shared/platform';
import { isAlive } from '../../shared/platform/local/pids';
import { CLI, cli, cliJson, freePort, killGroup, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(240_000);

/**
 * The jobs API as a client uses it, over HTTP on 127.0.0.1 against `mloop up` with one job slot: a
 * run started with POST /api/runs (idempotently), cancelled mid-training, ends cancelled within 5 s
 * with its process gone and is never retried; a queued run is dequeued by a cancel; the freed slot
 * starts the next queued run; logs are read and followed.
 */
describe('the jobs API on the local stack', () => {
  it('starts, lists, cancels and follows runs', async () => {
    const home = tempHome('mloop-jobs-api-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_MAX_PARALLEL_JOBS: '1', MLOOP_TRAIN_EPOCHS: '2' });
    const base = `http://127.0.0.1:${port}/api`;
    const api = async <T>(route: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }) => {
      const response = await fetch(`${base}${route}`, {
        method: init?.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...init?.headers },
        body: init?.body === undefined ? undefined : JSON.stringify(init.body),
      });
      return { status: response.status, body: (await response.json()) as T };
    };
    const run = async (id: string) => (await api<RunDoc>(`/runs/${id}`)).body;
    const up = startUp(env, path.join(home, 'up.log'));
    try {
      await until('the stack to answer', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok, 60_000);
      const csv = path.join(home, 'fraud.csv');
      await writeFraudCsv(csv, { rows: 3000, seed: 11 });
      cli(['push', csv, '--model', 'fraud', '--wait'], env);

      // a long run: more epochs of the network than any test waits for, without early stopping, so it is
      // cancelled mid-training however fast the machine trains (2 000 epochs once finished before the cancel)
      const body = { model: 'fraud', algorithm: 'mlp', params: { epochs: 200_000, patience: 0 }, reason: 'jobs API e2e', tags: { suite: 'jobs' } };
      const started = await api<{ run_id: string; replayed: boolean }>('/runs', { method: 'POST', body, headers: { 'idempotency-key': 'e2e-long-run' } });
      expect(started).toMatchObject({ status: 201, body: { replayed: false } });
      const longRun = started.body.run_id;
      const replay = await api<{ run_id: string; replayed: boolean }>('/runs', { method: 'POST', body, headers: { 'idempotency-key': 'e2e-long-run' } });
      expect(replay).toMatchObject({ status: 200, body: { run_id: longRun, replayed: true } });
      const training = await until('the run to be mid-training', async () => {
        const doc = await run(longRun);
        return doc.status === 'running' && doc.progress && doc.progress.iteration >= 1 && doc.progress.iteration < doc.progress.iterations ? doc : null;
      }, 120_000, 50);
      expect(training).toMatchObject({ attempt: 1, tags: { suite: 'jobs' }, plan: { algorithm: 'mlp' } });

      // with one slot, the next runs wait; a cancelled one (here from the CLI) leaves the queue without an execution
      const queued = (await api<{ run_id: string }>('/runs', { method: 'POST', body: { model: 'fraud', reason: 'to be dequeued' } })).body.run_id;
      await until('the second run to be queued', async () => (await run(queued))?.status === 'queued');
      const dequeued = cliJson<RunDoc>(['runs', 'cancel', queued, '--reason', 'not needed'], env);
      expect(dequeued).toMatchObject({ status: 'cancelled', cancel_reason: 'not needed', cancelled_by: expect.stringMatching(/^cli:/), executions: [] });
      const next = (await api<{ run_id: string }>('/runs', { method: 'POST', body: { model: 'fraud', algorithm: 'mlp', params: { epochs: 200_000, patience: 0 }, reason: 'takes the slot' } })).body.run_id;
      await until('the third run to be queued', async () => (await run(next))?.status === 'queued');

      const filtered = cliJson<RunView[]>(['runs', '--status', 'running', '--limit', '20'], env);
      expect(filtered.map((r) => r.id)).toEqual([longRun]);

      // cancel mid-training: cancelled within 5 s, its process gone
      const db = new Database(path.join(home, 'mloop.db'), { readonly: true });
      const { pid } = db.prepare('SELECT pid FROM executions WHERE id = ?').get(training.execution_id) as { pid: number };
      expect(isAlive(pid)).toBe(true);
      const cancelAt = Date.now();
      const cancelled = await api<RunDoc>(`/runs/${longRun}/cancel`, { method: 'POST', body: { reason: 'wrong parameters' } });
      expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled', cancelled_by: 'admin-api', cancel_reason: 'wrong parameters' } });
      await until('the job process to be gone', () => !isAlive(pid), 5000, 20);
      expect(Date.now() - cancelAt).toBeLessThan(5000);
      expect((await run(longRun)).status).toBe('cancelled');
      expect(await api(`/runs/${longRun}/cancel`, { method: 'POST' })).toMatchObject({ status: 409, body: { error: { status: 'cancelled' } } });

      // the freed slot starts the queued run
      const nextDoc = await until('the queued run to start', async () => ((await run(next)).status === 'running' ? run(next) : null), 30_000);
      expect(nextDoc.attempt).toBe(1);

      // the reconciler, the stack's every 500 ms and one run here, never retries the cancelled run
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
      const platform = createPlatform(config, createLogger('silent'));
      try {
        const reconciled = await reconcileRuns({ config, log: createLogger('silent'), platform });
        expect(reconciled.retried).not.toContain(longRun);
        expect(reconciled.failed).not.toContain(longRun);
      } finally {
        await platform.close();
      }
      expect(db.prepare('SELECT id, state FROM executions WHERE run_id = ?').all(longRun)).toEqual([{ id: training.execution_id, state: 'cancelled' }]);
      expect(db.prepare('SELECT count(*) AS n FROM executions WHERE run_id = ?').get(queued)).toEqual({ n: 0 });
      expect(await run(longRun)).toMatchObject({ status: 'cancelled', attempt: 1, executions: [expect.objectContaining({ id: training.execution_id, state: 'cancelled' })] });
      db.close();

      // logs: the cancelled run's output, over HTTP and from the CLI
      const logs = await api<RunLogs>(`/runs/${longRun}/logs`);
      expect(logs.body).toMatchObject({ run_id: longRun, status: 'cancelled', finished: true, execution_id: training.execution_id, log: { kind: 'text' } });
      const text = logs.body.log?.kind === 'text' ? logs.body.log.text : '';
      expect(text).toContain(longRun);
      expect(cli(['logs', longRun], env).stdout).toContain(longRun);

      // --follow prints the running run's log as it grows, and returns once the run is cancelled
      const follower = spawn(process.execPath, [CLI, 'logs', next, '--follow'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let followed = '';
      follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => follower.once('exit', (code) => resolve(code)));
      await until('the follower to print the running job log', () => followed.includes(next), 30_000);
      expect(cliJson<RunDoc>(['runs', 'cancel', next], env)).toMatchObject({ status: 'cancelled', cancel_reason: 'cancel from the CLI' });
      expect(await exited).toBe(0);

      const cancelledRuns = cliJson<RunView[]>(['runs', '--status', 'cancelled'], env);
      expect(cancelledRuns.map((r) => r.id)).toEqual([longRun, queued, next]);
      expect(cliJson<RunView[]>(['runs', '--tag', 'suite=jobs'], env).map((r) => r.id)).toEqual([longRun]);
      expect((await api<{ runs: RunView[] }>('/runs?status=cancelled&algorithm=mlp&limit=1')).body.runs.map((r) => r.id)).toEqual([next]);
      expect(await stopGracefully(up, 30_000)).toBe(0);
      fs.rmSync(home, { recursive: true, force: true });
    } finally {
      await killGroup(up);
    }
  });
});
