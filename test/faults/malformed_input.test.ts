/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { loadConfig } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { tempHome } from '../e2e/helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-malformed-');
const BODY_LIMIT = 1024 * 1024;
// The functions read their configuration from the environment, as on Cloud Functions.
Object.assign(process.env, { MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_BODY_BYTES: String(BODY_LIMIT) });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/index');

let ctx: Context;
const servers: Server[] = [];

async function serve(name: string): Promise<Server> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return server;
}

beforeAll(async () => {
  const config = loadConfig();
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  await installVersion(ctx, 'fraud', 'v1', await trainSmallModel(home));
});

afterAll(async () => {
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('scoring bodies built to hurt', () => {
  it('answers deep nesting and huge keys with a 400, bodies over the limit with a 413, and keeps scoring', async () => {
    const server = await serve('score');
    const post = (body: string) => request(server).post('/score/fraud').set('content-type', 'application/json').send(body);
    const deep = 100_000;
    const nested = await post(`{"instances":[${'['.repeat(deep)}${']'.repeat(deep)}]}`);
    expect([nested.status, nested.body.error?.code]).toEqual([400, 'invalid_argument']);
    const deepObject = await post(`{"instances":[${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}]}`);
    expect(deepObject.status).toBe(400);
    const hugeString = await post(JSON.stringify({ instances: [{ ...FRAUD_ROW, type: 'T'.repeat(BODY_LIMIT - 1000) }] }));
    expect([hugeString.status, hugeString.body.error?.code]).toEqual([400, 'invalid_argument']);
    expect(hugeString.body.error.message).toMatch(/instances\[0\]\.type: a string of \d+ characters/);
    // The message quotes no more than the start of the value.
    expect(hugeString.text.length).toBeLessThan(2_000);
    const hugeKey = await post(`{"instances":[{"${'k'.repeat(BODY_LIMIT - 100)}":1}]}`);
    expect(hugeKey.status).toBe(400);
    const over = await post(JSON.stringify({ instances: [{ ...FRAUD_ROW, type: 'T'.repeat(BODY_LIMIT + 1) }] }));
    expect(over.status).toBe(413);

    const after = await request(server).post('/score/fraud').send({ instances: [FRAUD_ROW] });
    expect(after.status).toBe(200);
  });
});

const ceHeaders = (type: string, contentType: string) => ({
  'ce-id': `malformed-${Math.random().toString(36).slice(2)}`,
  'ce-specversion': '1.0',
  'ce-source': '//test/malformed',
  'ce-type': type,
  'content-type': contentType,
});

const PUBSUB = 'google.cloud.pubsub.topic.v1.messagePublished';
const STORAGE = 'google.cloud.storage.object.v1.finalized';
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('malformed CloudEvents', () => {
  // A 2xx acknowledges the event; anything else would make Pub/Sub and Eventarc retry it until dead-lettered.
  it.each([
    ['onDataUploaded', STORAGE, 'no data', '', 'application/json'],
    ['onDataUploaded', STORAGE, 'an array', '[1,2,3]', 'application/json'],
    ['onDataUploaded', STORAGE, 'fields of the wrong type', '{"bucket": 7, "name": ["x"], "generation": {}}', 'application/json'],
    ['onDataUploaded', STORAGE, 'a name leaving the bucket', JSON.stringify({ bucket: 'mloop-data', name: 'datasets/fraud/../../../etc/passwd', generation: '1' }), 'application/json'],
    ['onTrainingRequested', PUBSUB, 'no message', '{}', 'application/json'],
    ['onTrainingRequested', PUBSUB, 'data that is not base64 JSON', JSON.stringify({ message: { data: '%%%not-base64%%%' } }), 'application/json'],
    ['onTrainingRequested', PUBSUB, 'JSON of the wrong shape', JSON.stringify({ message: { data: b64('{"model": 42}') } }), 'application/json'],
    ['onTrainingCompleted', PUBSUB, 'a null payload', JSON.stringify({ message: { data: b64('null') } }), 'application/json'],
    ['onTrainingCompleted', PUBSUB, 'a run that does not exist', JSON.stringify({ message: { data: b64(JSON.stringify({ run_id: 'run-nope', attempt: 1, status: 'succeeded', model: 'fraud', model_version: 'v9' })) } }), 'application/json'],
    ['onMonitoringTick', PUBSUB, 'a string payload', JSON.stringify({ message: { data: b64('"tick"') } }), 'application/json'],
    ['onDriftDetected', PUBSUB, 'deeply nested JSON', JSON.stringify({ message: { data: b64('['.repeat(5000) + ']'.repeat(5000)) } }), 'application/json'],
  ])('%s acknowledges a %s event with %s', async (name, type, _what, body, contentType) => {
    const server = await serve(name);
    const response = await request(server).post('/').set(ceHeaders(type, contentType)).send(body);
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
  });
});
