/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { configFor } from '../../../../shared/core/config';
import type { TrainingOverrides } from '../../../../shared/core/events';
import { datasetId } from '../../../../shared/core/ids';
import { createLogger } from '../../../../shared/core/log';
import { writeFraudCsv } from '../../../../shared/data/synthetic';
import type { Context } from '../../../../shared/pipeline/context';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import type { RunComparison } from '../../../../shared/pipeline/read_models/compare_runs';
import type { RunView } from '../../../../shared/pipeline/read_models/listings';
import { COLLECTIONS, type DatasetDoc, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { runTrainingJob } from '../../../../shared/pipeline/usecases/run_training_job';
import { createPlatform } from '../../../../shared/platform';
import { adminApi } from '../../../../shared/serving/admin_api';
import { openApiDocument } from '../../../../shared/serving/openapi';

/**
 * Real runs (the train job's own code on synthetic fraud data, gbdt) compared over HTTP: two on one
 * dataset with other parameters, one on another dataset, one of another model.
 */
jest.setTimeout(180_000);

let home: string;
let ctx: Context;
let app: express.Express;

async function dataset(model: string, version: string, seed: number): Promise<void> {
  const file = path.join(home, `${model}-${version}.csv`);
  await writeFraudCsv(file, { rows: 4000, seed });
  const object = await ctx.platform.objects.put('data', `datasets/${model}/${version}.csv`, fs.readFileSync(file));
  const doc: DatasetDoc = {
    model, version, status: 'accepted',
    object: { bucket: object.bucket, name: object.name, generation: object.generation, md5Hash: object.md5Hash, size: object.size },
    config: parseDatasetConfig({ algorithm: 'gbdt' }),
    created_at: new Date().toISOString(),
  };
  await ctx.platform.docs.set(COLLECTIONS.datasets, datasetId(model, version), { ...doc });
}

async function train(id: string, model: string, datasetVersion: string, training: TrainingOverrides): Promise<void> {
  const run: RunDoc = {
    id, model, model_version: `v-${id}`, dataset_version: datasetVersion, request_id: `request-${id}`, reason: 'manual', status: 'running',
    attempt: 1, max_attempts: 3, executions: [], training, created_at: new Date().toISOString(),
  };
  await ctx.platform.docs.set(COLLECTIONS.runs, id, { ...run });
  expect(await runTrainingJob(ctx, id, 1)).toBe('succeeded');
}

const compare = (ids: string) => request(app).get(`/api/runs/compare?ids=${ids}`);

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-compare-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_TRAIN_WORKERS: '1' });
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config) };
  app = express().use(express.json()).use('/api', adminApi(ctx, { monitorNow: async () => [] }));
  await dataset('fraud', 'd1', 1);
  await dataset('fraud', 'd2', 2);
  await dataset('churn', 'c1', 1);
  // a large step overfits within a few rounds: early stopping ends it long before 300
  await train('run-fast', 'fraud', 'd1', { algorithm: 'gbdt', params: { learning_rate: 0.5, num_iterations: 300, early_stopping_rounds: 3 } });
  await train('run-slow', 'fraud', 'd1', { algorithm: 'gbdt', params: { learning_rate: 0.05, num_iterations: 40, early_stopping_rounds: 0 } });
  await train('run-other-data', 'fraud', 'd2', { algorithm: 'gbdt', params: { learning_rate: 0.05, num_iterations: 40, early_stopping_rounds: 0 } });
  await train('run-churn', 'churn', 'c1', { algorithm: 'gbdt', params: { learning_rate: 0.05, num_iterations: 40, early_stopping_rounds: 0 } });
});

afterAll(async () => {
  await ctx?.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('a finished run records how it ended and what it was measured on', () => {
  it('an early stop: the iterations trained, of its budget, and the one kept', async () => {
    const run = (await request(app).get('/api/runs/run-fast').expect(200)).body as RunDoc;
    const end = run.training_end!;
    expect(end).toMatchObject({ unit: 'iteration', max_iterations: 300, stopped_early: true });
    expect(end.iterations).toBeLessThan(300);
    expect(end.iterations - end.best_iteration).toBe(3);
    expect(run.holdout).toEqual({ dataset_version: 'd1', rows: run.metrics!.rows, seed: 42, sample: null, time_column: null });
  });

  it('a whole budget, in the listing too', async () => {
    const { runs } = (await request(app).get('/api/runs?model=fraud').expect(200)).body as { runs: RunView[] };
    expect(runs.find((r) => r.id === 'run-slow')!.training_end).toEqual({ unit: 'iteration', iterations: 40, max_iterations: 40, best_iteration: expect.any(Number), stopped_early: false });
  });
});

describe('GET /api/runs/compare', () => {
  it('two runs on one holdout: the parameters that differ, the better metric marked, both loss histories and curves, no warning', async () => {
    const c = (await compare('run-fast,run-slow').expect(200)).body as RunComparison;
    expect(c.runs.map((r) => r.id)).toEqual(['run-fast', 'run-slow']);
    expect(c).toMatchObject({ same_holdout: true, same_model: true, warnings: [] });
    expect(c.params.filter((p) => p.differs).map((p) => p.name)).toEqual(['early_stopping_rounds', 'learning_rate', 'num_iterations']);
    expect(c.params.find((p) => p.name === 'learning_rate')!.values).toEqual([0.5, 0.05]);
    expect(c.params.find((p) => p.name === 'algorithm')).toEqual({ name: 'algorithm', values: ['gbdt', 'gbdt'], differs: false });
    const auc = c.metrics.find((m) => m.name === 'auc')!;
    expect(auc.direction).toBe('higher');
    expect(auc.best).toEqual([auc.values[0]! > auc.values[1]! ? 0 : 1]);
    expect(c.metrics.find((m) => m.name === 'rows')).toMatchObject({ direction: null, best: [] });
    expect(c.history.map((h) => [h.run_id, h.points.length])).toEqual([['run-fast', c.runs[0].training_end!.iterations], ['run-slow', 40]]);
    expect(c.curves.map((x) => x.run_id)).toEqual(['run-fast', 'run-slow']);
    expect(c.curves[0].roc.length).toBeGreaterThan(10);
    expect(c.curves[1].pr.length).toBeGreaterThan(10);
  });

  it('answers what the OpenAPI document describes', async () => {
    const doc = openApiDocument('test') as { paths: Record<string, { get?: { responses: Record<string, unknown> } }>; components: { schemas: Record<string, { required: string[]; properties: Record<string, unknown> }> } };
    expect(doc.paths['/api/runs/compare'].get!.responses['200']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/RunComparison' } } } });
    const schema = doc.components.schemas.RunComparison;
    const body = (await compare('run-fast,run-slow').expect(200)).body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([...schema.required].sort());
    expect(Object.keys(schema.properties).sort()).toEqual([...schema.required].sort());
  });

  it('warns when the holdouts differ, and when the models do', async () => {
    const data = (await compare('run-slow,run-other-data').expect(200)).body as RunComparison;
    expect(data.same_holdout).toBe(false);
    expect(data.warnings).toEqual([expect.stringMatching(/^the metrics were measured on different holdouts, so they are not comparable \(run-slow: dataset_version d1.*run-other-data: dataset_version d2/)]);
    const models = (await compare('run-slow,run-churn').expect(200)).body as RunComparison;
    expect(models.same_model).toBe(false);
    expect(models.warnings.some((w) => /different models \(fraud, churn\)/.test(w))).toBe(true);
  });

  it('an older run without its holdout recorded: inferred from its dataset and rows, and said so', async () => {
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, 'run-slow'))!;
    await ctx.platform.docs.set(COLLECTIONS.runs, 'run-older', { ...run, id: 'run-older', holdout: null, training_end: null });
    const c = (await compare('run-fast,run-older').expect(200)).body as RunComparison;
    expect(c.runs[1].holdout).toMatchObject({ dataset_version: 'd1', rows: run.metrics!.rows, recorded: false });
    expect(c.same_holdout).toBe(true);
    expect(c.warnings).toEqual([expect.stringMatching(/holdout of run-older was not recorded/)]);
  });

  it('answers 400 for fewer than 2 runs or one named twice, 404 for a run that does not exist', async () => {
    expect((await compare('run-fast').expect(400)).body.error.message).toMatch(/at least 2 runs/);
    await request(app).get('/api/runs/compare').expect(400);
    expect((await compare('run-fast,run-fast').expect(400)).body.error.message).toMatch(/named twice/);
    expect((await compare('run-fast,run-nope').expect(404)).body.error.message).toMatch(/no run run-nope/);
  });
});
