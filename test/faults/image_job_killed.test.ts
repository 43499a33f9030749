import Database from 'better-sqlite3';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import type { RunDoc } from '../../shared/pipeline/store/documents';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { cli, cliJson, freePort, ROOT, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

jest.setTimeout(300_000);

/**
 * An image run whose train job dies (SIGKILL between epochs of the CNN), the stack living on: the
 * reconcile pass retries it as a new attempt, as for a CSV, and that attempt trains, reports and is
 * promoted once — one run, one model version, one decision, one dataset version, one version folder.
 */
function postOnce(port: number, route: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: route, method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('the train job killed during an image run', () => {
  it('is retried as a new attempt that completes, with nothing lost or duplicated', async () => {
    const home = tempHome('mloop-image-jobkill-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js'), MLOOP_RUN_MAX_ATTEMPTS: '2' });
    const config = configFor(home);
    const platform = createPlatform(config, createLogger('silent'));
    try {
      // a tiny CNN on the pure-JS backend: seconds per epoch, long enough to be killed between two
      const settings = { image_size: 16, params: { filters: [4, 8], epochs: 6, batch_size: 8, augment: false, dropout: 0, patience: 0, backend: 'cpu' } };
      await platform.objects.put(config.dataBucket, 'datasets/leaves/mloop.json', JSON.stringify(settings));
    } finally {
      await platform.close();
    }
    const api = <T>(route: string) => fetch(`http://127.0.0.1:${port}${route}`).then((r) => (r.ok ? (r.json() as Promise<T>) : null));
    const up = startUp(env, path.join(home, 'up.log'));
    await until('the stack to answer', () => api('/health'));

    const zip = path.join(home, 'leaves.zip');
    cli(['generate-images', zip, '--classes', '3', '--per-class', '30', '--size', '32', '--seed', '3'], env);
    cli(['push', zip, '--model', 'leaves'], env);
    const db = new Database(path.join(home, 'mloop.db'), { readonly: true });
    const run = await until(
      'the first attempt to be between epochs',
      async () => (await api<{ runs: RunView[] }>('/api/runs'))?.runs.find((r) => r.status === 'running' && r.attempt === 1 && r.progress && r.progress.iteration >= 1 && r.progress.iteration < r.progress.iterations),
      120_000,
      20,
    );
    const { pid } = db.prepare("SELECT pid FROM executions WHERE run_id = ? AND attempt = 1 AND state = 'running'").get(run.id) as { pid: number };
    process.kill(pid, 'SIGKILL');

    const done = await until(
      'the run to finish',
      async () => {
        const doc = await api<RunDoc>(`/api/runs/${run.id}`);
        return doc && (doc.status === 'succeeded' || doc.status === 'failed') && doc.promoted !== undefined && doc.promoted !== null ? doc : null;
      },
      180_000,
      200,
    );
    expect(done).toMatchObject({ status: 'succeeded', attempt: 2, model_version: 'v1', promoted: true });
    expect(done.metrics?.accuracy).toEqual(expect.any(Number));
    const executions = db.prepare('SELECT attempt, state, error FROM executions WHERE run_id = ? ORDER BY attempt').all(run.id) as Array<{ attempt: number; state: string; error: string | null }>;
    db.close();
    expect(executions.map((e) => e.attempt)).toEqual([1, 2]);
    expect(executions[0].error).toMatch(/SIGKILL/);

    // one of everything: the run, the dataset version, the model version and its decision
    expect(cliJson<RunView[]>(['runs'], env)).toEqual([expect.objectContaining({ id: run.id, status: 'succeeded', attempt: 2 })]);
    expect(cliJson<Array<{ status: string }>>(['datasets'], env).filter((d) => d.status === 'accepted')).toHaveLength(1);
    expect(cliJson<Array<{ model: string; version: string; stage: string }>>(['models'], env)).toEqual([expect.objectContaining({ model: 'leaves', version: 'v1', stage: 'production' })]);
    const shown = cliJson<{ decision: { candidate_version: string; promote: boolean } }>(['models', 'show', 'v1', '--model', 'leaves'], env);
    expect(shown.decision).toMatchObject({ candidate_version: 'v1', promote: true });
    const versions = fs.readdirSync(path.join(home, 'buckets', config.artifactsBucket, 'models', 'leaves'));
    expect(versions).toEqual(['v1']);
    const manifest = JSON.parse(fs.readFileSync(path.join(home, 'buckets', config.artifactsBucket, 'models', 'leaves', 'v1', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ run_id: run.id, algorithm: 'cnn', trainer: { backend: 'cpu' } });
    expect(manifest.trainer.history).toHaveLength(6);

    // and the retried model serves
    const fresh = path.join(home, 'fresh');
    cli(['generate-images', fresh, '--classes', '3', '--per-class', '1', '--size', '32', '--seed', '9'], env);
    const file = path.join(fresh, 'circle', fs.readdirSync(path.join(fresh, 'circle'))[0]);
    // on a connection of its own: the CLI calls above block this process for seconds, and a pooled
    // connection from the polling may be closed under a request reusing it
    const answer = await postOnce(port, '/predict/leaves', JSON.stringify({ instances: [{ b64: fs.readFileSync(file).toString('base64') }] }));
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { model_version: string }).model_version).toBe('v1');

    expect(await stopGracefully(up)).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  });
});
