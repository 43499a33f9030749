/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { loadConfig } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { calibrate, calibratorOf } from '../../shared/ml/calibration/calibrator';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { CLI, tempHome } from './helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-explain-');
Object.assign(process.env, { MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/index');

let ctx: Context;
let server: Server;
/** The served score from the explanation's margin: its probability, through the calibration folded into the ONNX. */
let served: (raw: number) => number;
const ROWS = [FRAUD_ROW, { ...FRAUD_ROW, type: 'PAYMENT', amount: 12.5, oldbalanceOrg: 5000, newbalanceOrig: 4987.5 }];

beforeAll(async () => {
  const config = loadConfig();
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  const dir = await trainSmallModel(home);
  await installVersion(ctx, 'fraud', 'v1', dir);
  const calibrator = calibratorOf(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).calibration);
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  served = (raw) => (calibrator ? calibrate(calibrator, [sigmoid(raw)])[0] : sigmoid(raw));
  // a version stored before explanations were recorded: the same files without explainer.json
  const old = path.join(home, 'old');
  fs.cpSync(dir, old, { recursive: true });
  fs.rmSync(path.join(old, 'explainer.json'));
  await installVersion(ctx, 'legacy', 'v1', old);
  server = getTestServer('score');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const http = () => request(server);
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

describe('explanations over HTTP', () => {
  it('POST /explain/<model>: every feature, base + contributions = raw score, score as /score answers it', async () => {
    const explained = await http().post('/explain/fraud').send({ instances: ROWS });
    expect(explained.status).toBe(200);
    expect(explained.body).toMatchObject({ model: 'fraud', model_version: 'v1' });
    const scored = await http().post('/score/fraud').send({ instances: ROWS });
    explained.body.explanations.forEach((e: { base_value: number; raw_score: number; score: number; contributions: Record<string, number> }, i: number) => {
      expect(Object.keys(e.contributions).sort()).toEqual(Object.keys(FRAUD_ROW).sort());
      expect(Math.abs(e.base_value + sum(e.contributions) - e.raw_score)).toBeLessThan(1e-6);
      expect(e.score).toBeCloseTo(served(e.raw_score), 12);
      expect(Math.abs(e.score - scored.body.predictions[i].score)).toBeLessThan(1e-5);
    });
  });

  it('POST /v1/models/<m>:explain answers the same explanations with the version', async () => {
    const v1 = await http().post('/v1/models/fraud:explain').send({ instances: ROWS });
    expect(v1.status).toBe(200);
    expect(v1.headers['x-model-version']).toBe('v1');
    const mloop = await http().post('/explain/fraud').send({ instances: ROWS });
    expect(v1.body).toEqual({ model_version: 'v1', explanations: mloop.body.explanations });
  });

  it('/score with "explain": true adds the top-k contributions to each prediction', async () => {
    const all = (await http().post('/explain/fraud').send({ instances: ROWS })).body.explanations;
    const top = await http().post('/score/fraud').send({ instances: ROWS, explain: true, explain_top_k: 2 });
    expect(top.status).toBe(200);
    top.body.predictions.forEach((p: { explanation: { contributions: Record<string, number> } }, i: number) => {
      const largest = Object.entries(all[i].contributions as Record<string, number>).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, 2);
      expect(Object.entries(p.explanation.contributions)).toEqual(largest);
    });
    const byDefault = await http().post('/score/fraud').send({ instances: ROWS, explain: true });
    expect(Object.keys(byDefault.body.predictions[0].explanation.contributions)).toHaveLength(5);
    const plain = await http().post('/score/fraud').send({ instances: ROWS });
    expect(plain.body.predictions[0].explanation).toBeUndefined();
    const wrong = await http().post('/score/fraud').send({ instances: ROWS, explain: true, explain_top_k: 0 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/explain_top_k/);
  });

  it('names the bad fields of an instance, as /score does', async () => {
    const response = await http().post('/explain/fraud').send({ instances: [{ ...FRAUD_ROW, amount: 'lots' }] });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/amount/);
  });

  it('refuses a class choice a binary model cannot answer, and a malformed one, before explaining', async () => {
    const chosen = await http().post('/explain/fraud').send({ instances: ROWS, class: '1' });
    expect(chosen.status).toBe(400);
    expect(chosen.body.error.message).toMatch(/only a multiclass model explains a chosen class/);
    const malformed = await http().post('/v1/models/fraud:explain').send({ instances: ROWS, classes: 'some' });
    expect(malformed.status).toBe(400);
    // a KServe route answers its own error shape
    expect(JSON.stringify(malformed.body)).toMatch(/\\"classes\\" can only be \\"all\\"/);
  });

  it('says why a version stored without explainer.json cannot be explained, and still scores it', async () => {
    const response = await http().post('/explain/legacy').send({ instances: ROWS });
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/legacy v1 \(gbdt\) cannot be explained: it has no explainer\.json.*retrain/);
    expect((await http().post('/score/legacy').send({ instances: ROWS })).status).toBe(200);
  });
});

describe('mloop explain', () => {
  it('prints the explanations as JSON, and as a table per row', () => {
    const file = path.join(home, 'rows.json');
    fs.writeFileSync(file, JSON.stringify({ instances: ROWS }));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent' };
    const json = spawnSync(process.execPath, [CLI, 'explain', 'fraud', file, '--json'], { encoding: 'utf8', env });
    expect(json.stderr).toBe('');
    const answer = JSON.parse(json.stdout);
    expect(answer.model_version).toBe('v1');
    expect(answer.explanations).toHaveLength(2);
    const text = spawnSync(process.execPath, [CLI, 'explain', 'fraud', file], { encoding: 'utf8', env });
    expect(text.stdout).toMatch(/^fraud v1\nrow 0: score 0\.\d{4}, raw -?\d+\.\d{4} = base -?\d+\.\d{4} \+ contributions\n/);
    expect(text.stdout).toMatch(/amount\s+[+-]\d/);
  });
});
