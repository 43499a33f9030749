/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { loadConfig } from '../../shared/core/config';
import { estimateCost } from '../../shared/core/cost';
import { TOPICS, type TrainingCompleted } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { Context } from '../../shared/pipeline/context';
import { storeOf } from '../../shared/pipeline/store';
import { ingestObject } from '../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../shared/pipeline/usecases/on_training_requested';
import { completeTraining, type CompletionResult } from '../../shared/pipeline/usecases/on_training_completed';
import { createPlatform } from '../../shared/platform';
import { ROOT, tempHome } from './helpers';

jest.setTimeout(180_000);

const home = tempHome('mloop-score-fn-');
const API_KEY = 'test-key-7f3a9c';
// The functions read their configuration from the environment, as on Cloud Functions.
Object.assign(process.env, {
  MLOOP_HOME: home,
  MLOOP_API_KEY: API_KEY,
  MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js'),
  MLOOP_POLL_MS: '20',
  MLOOP_TRAIN_EPOCHS: '5',
  MLOOP_LOG_LEVEL: 'warn',
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/index');

const auth = { authorization: `Bearer ${API_KEY}` };
const row = {
  step: 1,
  type: 'TRANSFER',
  amount: 181.0,
  nameOrig: 'C1231006815',
  oldbalanceOrg: 181.0,
  newbalanceOrig: 0,
  nameDest: 'C1666544295',
  oldbalanceDest: 0,
  newbalanceDest: 0,
};

let ctx: Context;

beforeAll(() => {
  const config = loadConfig();
  ctx = { config, log: createLogger('warn'), platform: createPlatform(config) };
});

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the score function before any model', () => {
  it('reports health without a model and answers 503 to scoring', async () => {
    const server = getTestServer('score');
    const health = await request(server).get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', model_loaded: false, model_version: null });
    const score = await request(server).post('/score').set(auth).send({ instances: [row] });
    expect(score.status).toBe(503);
    expect(score.body.error.message).toMatch(/no model is in production/);
  });
});

describe('upload → train job → evaluate → promote, through the use-cases', () => {
  let completion: CompletionResult;

  beforeAll(async () => {
    const { objects, bus } = ctx.platform;
    await bus.ensureSubscription(TOPICS.trainingCompleted, 'test-training-completed', { minBackoffMs: 10 });
    const file = path.join(home, 'day1.csv');
    await writeFraudCsv(file, { rows: 20_000, seed: 5 });
    const object = await objects.putFile(ctx.config.dataBucket, 'datasets/fraud/day1.csv', file);

    const ingested = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
    expect(ingested.outcome).toBe('accepted');
    if (ingested.outcome !== 'accepted') return;
    const again = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
    expect(again).toEqual(ingested);

    const done = new Promise<CompletionResult>((resolve, reject) => {
      void bus.subscribe('test-training-completed', async (message) => {
        completeTraining(ctx, message.data as TrainingCompleted).then(resolve, reject);
      });
    });
    const request1 = {
      request_id: ingested.requestId,
      model: 'fraud',
      dataset_version: ingested.version,
      reason: 'upload' as const,
      requested_at: new Date().toISOString(),
    };
    const created = await requestTraining(ctx, request1);
    expect(created).toMatchObject({ outcome: 'created', modelVersion: 'v1' });
    expect(await requestTraining(ctx, request1)).toMatchObject({ outcome: 'exists', runId: created.runId });
    completion = await done;
  });

  it('promotes the first model with a recorded decision', () => {
    expect(completion.outcome).toBe('decided');
    if (completion.outcome !== 'decided') return;
    expect(completion.decision.promote).toBe(true);
    expect(completion.decision.candidate_metric).toBeGreaterThan(0.75);
    expect(completion.decision.production_version).toBeNull();
  });

  it('records the backend the job trained on, and the resources and estimated cost of the run', async () => {
    if (completion.outcome !== 'decided') throw new Error(`no decision: ${JSON.stringify(completion)}`);
    const run = (await storeOf(ctx).runs.get(completion.runId))!;
    expect(run.backend).toEqual(expect.any(String));
    expect(run.resources).toEqual({ vcpu: os.availableParallelism(), memory_gib: expect.any(Number), gpu_count: 0, gpu_type: null });
    expect(run.duration_seconds).toBeGreaterThan(0);
    expect(run.cost_estimate).toEqual(estimateCost(run.duration_seconds!, run.resources!, ctx.config.prices));
    expect(run.cost_estimate!.usd).toBeGreaterThan(0);
  });

  it('scores rows over HTTP with the promoted model, ignoring dropped columns', async () => {
    const server = getTestServer('score');
    const response = await request(server).post('/score/fraud').set(auth).send({ instances: [row, { ...row, amount: 5 }] });
    expect(response.status).toBe(200);
    expect(response.body.model_version).toBe('v1');
    expect(response.body.predictions).toHaveLength(2);
    for (const p of response.body.predictions) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(1);
      expect([0, 1]).toContain(p.label);
    }
    const single = await request(server).post('/score').set(auth).send({ instances: [row] });
    expect(single.status).toBe(200);
    expect(single.body.predictions[0].score).toBeCloseTo(response.body.predictions[0].score, 6);
    const health = await request(server).get('/health');
    expect(health.body).toMatchObject({ status: 'ok', model_loaded: true, model_version: 'v1' });
  });

  it('answers bad input with 400 and a message per field', async () => {
    const server = getTestServer('score');
    const { amount: _dropped, ...missing } = row;
    const cases: Array<[unknown, RegExp]> = [
      [{ instances: [missing] }, /amount/],
      [{ instances: [{ ...row, colour: 'red' }] }, /colour/],
      [{ instances: [{ ...row, amount: 'a lot' }] }, /amount/],
      [{ instances: 'nope' }, /array/i],
      [{ rows: [row] }, /instances/],
    ];
    for (const [body, message] of cases) {
      const response = await request(server).post('/score/fraud').set(auth).send(body as object);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.error)).toMatch(message);
    }
    const notJson = await request(server).post('/score/fraud').set(auth).set('content-type', 'application/json').send('{"instances": [');
    expect(notJson.status).toBe(400);
  });

  it('needs the API key on scoring, not on health', async () => {
    const server = getTestServer('score');
    expect((await request(server).post('/score/fraud').send({ instances: [row] })).status).toBe(401);
    expect((await request(server).post('/score/fraud').set({ authorization: 'Bearer wrong' }).send({ instances: [row] })).status).toBe(401);
    expect((await request(server).get('/health')).status).toBe(200);
  });

  it('answers 404 for a model that does not exist', async () => {
    const response = await request(getTestServer('score')).post('/score/nosuchmodel').set(auth).send({ instances: [row] });
    expect(response.status).toBe(404);
  });
});
