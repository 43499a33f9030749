/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import fc from 'fast-check';
import request from 'supertest';
import { loadConfig } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';
import { MAX_INSTANCES } from '../../shared/serving/limits';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { tempHome } from './helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-routes-');
// The function reads its configuration from the environment, as on Cloud Functions.
Object.assign(process.env, { MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_BODY_BYTES: String(4 * 1024 * 1024) });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/index');

let ctx: Context;
let server: Server;
let dir: string;

beforeAll(async () => {
  const config = loadConfig();
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  dir = await trainSmallModel(home);
  await installVersion(ctx, 'fraud', 'v1', dir);
  server = getTestServer('score');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const http = () => request(server);

describe('POST /score', () => {
  it('scores one instance and a batch, in order, with the served version', async () => {
    const one = await http().post('/score/fraud').send({ instances: [FRAUD_ROW] });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ model: 'fraud', model_version: 'v1' });
    expect(one.body.predictions).toHaveLength(1);
    const { score, label } = one.body.predictions[0];
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect([0, 1]).toContain(label);

    const batch = Array.from({ length: MAX_INSTANCES }, (_, i) => ({ ...FRAUD_ROW, amount: i * 100 }));
    const many = await http().post('/score').send({ instances: batch });
    expect(many.status).toBe(200);
    expect(many.body.predictions).toHaveLength(MAX_INSTANCES);
    // The same row scores the same alone as inside a batch.
    const alone = await http().post('/score/fraud').send({ instances: [batch[777]] });
    expect(many.body.predictions[777]).toEqual(alone.body.predictions[0]);
  });

  it('refuses more than 10 000 instances with a 400 that says so', async () => {
    const response = await http().post('/score/fraud').send({ instances: Array.from({ length: MAX_INSTANCES + 1 }, () => FRAUD_ROW) });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/too many instances: 10001, at most 10000/);
  });

  it('answers a body over the limit with a 413', async () => {
    const response = await http().post('/score/fraud').set('content-type', 'application/json').send(`{"instances":[${'0,'.repeat(2_200_000)}0]}`);
    expect(response.status).toBe(413);
  });

  it('names every bad field: missing, unknown, wrongly typed, not finite', async () => {
    const { type: _type, ...withoutType } = FRAUD_ROW;
    const response = await http()
      .post('/score/fraud')
      .set('content-type', 'application/json')
      .send(`{"instances":[${JSON.stringify(withoutType)},${JSON.stringify({ ...FRAUD_ROW, amout: 1 })},${JSON.stringify({ ...FRAUD_ROW, amount: 'lots' })},${JSON.stringify(FRAUD_ROW).replace('"amount":181', '"amount":1e999')}]}`);
    expect(response.status).toBe(400);
    const messages = (response.body.error.errors as Array<{ index: number; field: string; message: string }>).map((e) => [e.index, e.field, e.message]);
    expect(messages).toEqual([
      [0, 'type', expect.stringMatching(/missing/)],
      [1, 'amout', expect.stringMatching(/unknown field/)],
      [2, 'amount', expect.stringMatching(/expected a number, got string "lots"/)],
      [3, 'amount', expect.stringMatching(/expected a finite number, got Infinity/)],
    ]);
  });

  it('answers a model that does not exist with a 404, and bodies that are not JSON with a 400', async () => {
    expect((await http().post('/score/nope').send({ instances: [FRAUD_ROW] })).status).toBe(404);
    const notJson = await http().post('/score/fraud').set('content-type', 'text/plain').send('{"instances": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not valid JSON/);
  });
});

describe('KServe V1', () => {
  it('predicts {"instances"} → {"predictions"} and reports the model ready', async () => {
    const response = await http().post('/v1/models/fraud:predict').send({ instances: [FRAUD_ROW, { ...FRAUD_ROW, amount: 9e6 }] });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['predictions']);
    expect(response.body.predictions).toHaveLength(2);
    expect(response.headers['x-model-version']).toBe('v1');
    expect((await http().get('/v1/models/fraud')).body).toEqual({ name: 'fraud', ready: true });
    const bad = await http().post('/v1/models/fraud:predict').send({ instances: [{ ...FRAUD_ROW, step: true }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/instances\[0\]\.step: expected a number/);
  });
});

describe('Open Inference Protocol V2', () => {
  const columns = (rows: Array<Record<string, unknown>>) =>
    Object.keys(FRAUD_ROW).map((name) => ({
      name,
      shape: [rows.length, 1],
      datatype: typeof rows[0][name] === 'string' ? 'BYTES' : 'FP64',
      data: rows.map((r) => r[name]),
    }));

  it('answers health, server and model metadata', async () => {
    expect((await http().get('/v2/health/live')).body).toEqual({ live: true });
    expect((await http().get('/v2/health/ready')).status).toBe(200);
    expect((await http().get('/v2/models/fraud/ready')).body).toEqual({ name: 'fraud', ready: true });
    const meta = (await http().get('/v2/models/fraud')).body;
    expect(meta).toMatchObject({ name: 'fraud', versions: ['v1'], platform: 'onnxruntime_onnx' });
    expect(meta.inputs).toContainEqual({ name: 'type', datatype: 'BYTES', shape: [-1] });
    expect(meta.inputs).toContainEqual({ name: 'amount', datatype: 'FP64', shape: [-1] });
    expect(meta.outputs.map((o: { name: string }) => o.name)).toEqual(['score', 'label']);
    expect((await http().get('/v2/models/fraud/versions/v9')).status).toBe(404);
  });

  it('infers from one input per feature, as the pandas codec sends them, into named output tensors', async () => {
    const rows = [FRAUD_ROW, { ...FRAUD_ROW, type: 'CASH_OUT', amount: 5000 }];
    const response = await http().post('/v2/models/fraud/infer').send({ id: 'req-1', inputs: columns(rows) });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ model_name: 'fraud', model_version: 'v1', id: 'req-1' });
    const [score, label] = response.body.outputs;
    expect(score).toMatchObject({ name: 'score', datatype: 'FP32', shape: [2] });
    expect(label).toMatchObject({ name: 'label', datatype: 'INT64', shape: [2] });
    const v1 = await http().post('/score/fraud').send({ instances: rows });
    expect(score.data).toEqual(v1.body.predictions.map((p: { score: number }) => p.score));
    expect(label.data).toEqual(v1.body.predictions.map((p: { label: number }) => p.label));

    const only = await http().post('/v2/models/fraud/versions/v1/infer').send({ inputs: columns(rows), outputs: [{ name: 'label' }] });
    expect(only.body.outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
  });

  it('says which input is wrong', async () => {
    const inputs = columns([FRAUD_ROW]);
    const cases: Array<[unknown, RegExp]> = [
      [{ inputs: inputs.map((i) => (i.name === 'amount' ? { ...i, data: ['x'] } : i)) }, /inputs\["amount"\]\.data\[0\]: expected a number for datatype FP64/],
      [{ inputs: inputs.map((i) => (i.name === 'amount' ? { ...i, shape: [2, 1] } : i)) }, /inputs\["amount"\]: shape says 2 values, data has 1/],
      [{ inputs: inputs.filter((i) => i.name !== 'step') }, /instances\[0\]\.step: missing/],
      [{ inputs: [...inputs, { name: 'colour', shape: [1], datatype: 'BYTES', data: ['red'] }] }, /colour: unknown field/],
      [{ inputs: inputs.map((i) => (i.name === 'step' ? { ...i, datatype: 'FLOAT' } : i)) }, /datatype: expected one of/],
      [{ inputs: inputs, outputs: [{ name: 'probabilities' }] }, /outputs: probabilities unknown/],
      [{ inputs: [] }, /non-empty array/],
    ];
    for (const [body, message] of cases) {
      const response = await http().post('/v2/models/fraud/infer').send(body as object);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatch(message);
    }
  });
});

describe('health, metrics and the OpenAPI document', () => {
  it('reports the served version on GET /health', async () => {
    expect((await http().get('/health')).body).toEqual({ status: 'ok', model_version: 'v1', model_loaded: true, models: { fraud: 'v1' } });
  });

  it('exposes Prometheus metrics: requests by route and status, latency, rows scored, the model version', async () => {
    const before = await http().get('/metrics');
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const rows = count(before.text, /^mloop_rows_scored_total\{model="fraud"\} (\d+)$/m);
    const bad = count(before.text, /^mloop_http_requests_total\{route="score",status="400"\} (\d+)$/m);
    await http().post('/score/fraud').send({ instances: [FRAUD_ROW, FRAUD_ROW, FRAUD_ROW] });
    await http().post('/score/fraud').send({ instances: [{}] });
    const after = await http().get('/metrics');
    expect(after.headers['content-type']).toMatch(/^text\/plain/);
    expect(count(after.text, /^mloop_rows_scored_total\{model="fraud"\} (\d+)$/m)).toBe(rows + 3);
    expect(count(after.text, /^mloop_http_requests_total\{route="score",status="400"\} (\d+)$/m)).toBe(bad + 1);
    expect(after.text).toMatch(/^mloop_http_request_duration_seconds_bucket\{le="0\.005",route="score"\} \d+$/m);
    expect(after.text).toMatch(/^mloop_model_info\{model="fraud",version="v1"\} 1$/m);
  });

  it('describes every route in an OpenAPI 3 document', async () => {
    const doc = (await http().get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of ['/score/{name}', '/predict/{name}', '/v1/models/{name}:predict', '/v2/models/{name}/infer', '/v2/health/ready', '/health', '/metrics']) {
      expect(doc.paths).toHaveProperty([route]);
    }
    expect(doc.components.schemas.Instances.properties.instances.maxItems).toBe(MAX_INSTANCES);
  });
});

describe('no bad input is a 500', () => {
  const json = fc.jsonValue();
  const instance = fc.dictionary(
    fc.constantFrom(...Object.keys(FRAUD_ROW), 'nameOrig', 'isFraud', 'other', '__proto__', 'constructor'),
    fc.oneof(json, fc.constantFrom(1e308, -0, 'NaN', 'Infinity', '', ' 1', null, true)),
  );
  const body = fc.oneof(
    fc.record({ instances: fc.array(instance, { maxLength: 5 }) }),
    fc.record({ instances: json }),
    fc.record({ inputs: fc.array(fc.record({ name: fc.constantFrom(...Object.keys(FRAUD_ROW), 'x'), shape: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }), datatype: fc.constantFrom('FP64', 'BYTES', 'BOOL', 'INT64', 'X'), data: fc.array(json, { maxLength: 4 }) }, { requiredKeys: [] })), outputs: json }, { requiredKeys: [] }),
    json,
  );
  const paths = fc.constantFrom('/score', '/score/fraud', '/score/%E0%A4%A', '/v1/models/fraud:predict', '/v1/models/nope:predict', '/v2/models/fraud/infer', '/v2/models/fraud/versions/v1/infer', '/feedback', '/v2/models/fraud');

  it('holds for arbitrary JSON bodies on every scoring route', async () => {
    await fc.assert(
      fc.asyncProperty(paths, body, async (path, value) => {
        const response = await http().post(path).set('content-type', 'application/json').send(JSON.stringify(value));
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('holds for bodies that are not JSON at all', async () => {
    await fc.assert(
      fc.asyncProperty(paths, fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes))), async (path, raw) => {
        const response = await http().post(path).set('content-type', 'application/octet-stream').send(raw);
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 200, seed: 6 },
    );
  });
});
