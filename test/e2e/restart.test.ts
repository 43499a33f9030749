import fs from 'node:fs';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { cli, cliJson, freePort, killGroup, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(240_000);

/**
 * DESIGN's promise: kill -9 the whole `mloop up` process group at any moment and, after a restart,
 * nothing is lost and nothing is done twice. The stack is killed while the upload event is handled,
 * while the train job runs, and while the completed run is being evaluated and promoted.
 */
describe('restart safety of the local stack', () => {
  it('ends with one dataset version per distinct file, one succeeded run each, and a model that scores', async () => {
    const home = tempHome('mloop-restart-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '6' });
    const log = path.join(home, 'up.log');
    const a = path.join(home, 'a.csv');
    const b = path.join(home, 'b.csv');
    await writeFraudCsv(a, { rows: 60_000, seed: 11 });
    await writeFraudCsv(b, { rows: 20_000, seed: 12 });
    const api = (route: string) => fetch(`http://127.0.0.1:${port}${route}`).then((r) => (r.ok ? r.json() : null));
    const runs = () => cliJson<RunView[]>(['runs'], env);

    let up = startUp(env, log);
    await until('the stack to answer', () => api('/health'));
    cli(['push', a, '--model', 'fraud'], env);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await killGroup(up); // 1: while the upload event is being handled

    up = startUp(env, log);
    await until(
      'a training job to run',
      async () => ((await api('/api/runs')) as { runs: RunView[] } | null)?.runs.some((r) => r.status === 'running' && r.progress),
      90_000,
      10,
    );
    await killGroup(up); // 2: while the train job runs

    up = startUp(env, log);
    const bucketFolder = path.join(home, 'buckets', 'data', 'datasets', 'fraud');
    // A person copies files into the watched folder: a new one, and the first one again under another name.
    fs.copyFileSync(b, path.join(bucketFolder, 'b.csv'));
    fs.copyFileSync(a, path.join(bucketFolder, 'a-again.csv'));
    const [first] = await until('the first run to exist', () => runs().slice(0, 1), 30_000);
    await until(
      'the first run to report its completion',
      async () => {
        const run = (await api(`/api/runs/${first.id}`)) as { reported_attempt?: number; attempt: number; status: string } | null;
        return run && (run.reported_attempt === run.attempt || run.status !== 'running') ? run : null;
      },
      120_000,
      10,
    );
    await killGroup(up); // 3: while the completion is evaluated and the promotion written (or just after)

    up = startUp(env, log);
    const final = await until(
      'every run to finish',
      () => {
        const all = runs();
        return all.length >= 2 && all.every((r) => r.status === 'succeeded' || r.status === 'failed') ? all : null;
      },
      180_000,
      250,
    );
    const datasets = cliJson<Array<{ version: string; status: string }>>(['datasets'], env);
    const models = cliJson<Array<{ version: string; stage: string }>>(['models'], env);

    expect(datasets.filter((d) => d.status === 'accepted').map((d) => d.version).sort()).toHaveLength(2);
    expect(new Set(datasets.map((d) => d.version)).size).toBe(datasets.length);
    expect(final).toHaveLength(2);
    expect(final.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(new Set(final.map((r) => r.dataset_version)).size).toBe(2);
    // The job killed mid-training was retried as a second attempt of the same run, not a new run.
    expect(final.find((r) => r.id === first.id)!.attempt).toBeGreaterThanOrEqual(2);
    expect(models.filter((m) => m.stage === 'production')).toHaveLength(1);

    const response = await fetch(`http://127.0.0.1:${port}/score/fraud`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        instances: [{ step: 1, type: 'TRANSFER', amount: 181, nameOrig: 'C1', oldbalanceOrg: 181, newbalanceOrig: 0, nameDest: 'C2', oldbalanceDest: 0, newbalanceDest: 0 }],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { model_version: string; predictions: Array<{ score: number }> };
    expect(body.model_version).toBe(models.find((m) => m.stage === 'production')!.version);
    expect(body.predictions[0].score).toBeGreaterThanOrEqual(0);
    expect(body.predictions[0].score).toBeLessThanOrEqual(1);

    expect(await stopGracefully(up)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
