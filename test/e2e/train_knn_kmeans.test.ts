/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { calibrate, calibratorOf } from '../../shared/ml/calibration/calibrator';
import { loadConfig } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { createPlatform } from '../../shared/platform';
import { FRAUD_ROW } from '../support/trained_model';
import { CLI, tempHome } from './helpers';

jest.setTimeout(240_000);

/**
 * knn and kmeans as a person uses them: `mloop train --algorithm …` on the demo data with the built CLI,
 * then each folder installed and scored by the score function over HTTP.
 */
const home = tempHome('mloop-knn-kmeans-');
Object.assign(process.env, { MLOOP_HOME: path.join(home, 'stack'), MLOOP_LOG_LEVEL: 'silent' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/index');

function train(args: string[]): { metrics: Record<string, number>; artifacts: string; algorithm: string; task: string } {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: path.join(home, 'cli'), MLOOP_LOG_LEVEL: 'warn' };
  const result = spawnSync(process.execPath, [CLI, 'train', 'fraud.csv', ...args, '--json'], { cwd: home, env, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`mloop train ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

let ctx: Context;
let server: Server;

beforeAll(async () => {
  const generated = spawnSync(process.execPath, [CLI, 'generate', 'fraud.csv', '--rows', '8000', '--seed', '5'], { cwd: home, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: path.join(home, 'cli') } });
  if (generated.status !== 0) throw new Error(generated.stderr);
  const config = loadConfig();
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  server = getTestServer('score');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('mloop train --algorithm knn | kmeans, then served', () => {
  it('trains knn on a stored sample it reports, and serves its probability', async () => {
    const result = train(['--algorithm', 'knn', '--params', JSON.stringify({ k: 15, max_stored_values: 2000 * 13 }), '--out', 'out/knn']);
    expect(result).toMatchObject({ algorithm: 'knn', task: 'binary' });
    // a handful of frauds in 1 200 test rows: the AUC is measured, its level is the benchmark's business
    expect(result.metrics.auc).toBeGreaterThan(0);
    expect(result.metrics.positives).toBeGreaterThan(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(result.artifacts, 'manifest.json'), 'utf8'));
    const width = manifest.input.width;
    // above max_stored_values, a sample of whole rows is stored, and the run says how many of how many
    expect(result.metrics.stored_rows).toBe(Math.floor((2000 * 13) / width));
    expect(result.metrics.training_rows).toBeGreaterThan(result.metrics.stored_rows);
    expect(result.metrics.stored_sampled).toBe(1);
    expect(manifest.trainer.params).toMatchObject({ k: 15, distance: 'euclidean', weights: 'uniform' });
    expect(manifest.output.name).toBe('probability');
    const calibrator = calibratorOf(manifest.calibration);

    await installVersion(ctx, 'knn', 'v1', result.artifacts);
    const reply = await request(server).post('/score/knn').send({ instances: [FRAUD_ROW, { ...FRAUD_ROW, type: 'PAYMENT', amount: 12 }] });
    expect(reply.status).toBe(200);
    const [first, second] = reply.body.predictions;
    for (const p of [first, second]) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(1);
      // a vote of 15 neighbours, a multiple of 1/15, through the calibration folded into the graph
      const votes = Array.from({ length: 16 }, (_, j) => j / 15);
      const served = calibrator ? Array.from(calibrate(calibrator, votes)) : votes;
      expect(Math.min(...served.map((v) => Math.abs(v - p.score)))).toBeLessThan(1e-5);
      expect(p.label).toBe(p.score >= manifest.threshold ? 1 : 0);
    }
  });

  it('clusters with kmeans, reports inertia and silhouette, and serves the cluster and the distances', async () => {
    const result = train(['--algorithm', 'kmeans', '--params', JSON.stringify({ n_clusters: 4, n_init: 2 }), '--out', 'out/kmeans']);
    expect(result).toMatchObject({ algorithm: 'kmeans', task: 'binary' });
    expect(Object.keys(result.metrics).sort()).toEqual(['clusters', 'inertia', 'n_iter', 'silhouette']);
    expect(result.metrics.inertia).toBeGreaterThan(0);
    expect(result.metrics.silhouette).toBeGreaterThan(-1);
    expect(result.metrics.silhouette).toBeLessThanOrEqual(1);
    expect(result.metrics.clusters).toBe(4);
    const manifest = JSON.parse(fs.readFileSync(path.join(result.artifacts, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ algorithm: 'kmeans', output: { name: 'cluster' }, threshold: null });

    await installVersion(ctx, 'segments', 'v1', result.artifacts);
    const rows = [FRAUD_ROW, { ...FRAUD_ROW, type: 'PAYMENT', amount: 12 }, { ...FRAUD_ROW, type: 'CASH_OUT', amount: 250_000, oldbalanceOrg: 250_000 }];
    const reply = await request(server).post('/score/segments').send({ instances: rows });
    expect(reply.status).toBe(200);
    expect(reply.body.predictions).toHaveLength(3);
    for (const p of reply.body.predictions) {
      expect(Object.keys(p).sort()).toEqual(['cluster', 'distances']);
      expect(p.distances).toHaveLength(4);
      expect(Number.isInteger(p.cluster)).toBe(true);
      expect(p.distances[p.cluster]).toBe(Math.min(...p.distances));
    }
    // Open Inference: the same answer as named tensors
    const meta = await request(server).get('/v2/models/segments');
    expect(meta.body.outputs).toEqual([
      { name: 'cluster', datatype: 'INT64', shape: [-1] },
      { name: 'distances', datatype: 'FP32', shape: [-1, 4] },
    ]);
  });
});
