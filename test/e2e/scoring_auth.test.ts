/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import request from 'supertest';
import { loadConfig } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';
import { FakeGoogleIdTokens } from '../fakes/google_id_tokens';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { tempHome } from './helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-auth-');
const API_KEY = 'k-5d1e0c';
const AUDIENCE = 'https://score-abc123-ew.a.run.app';
const google = new FakeGoogleIdTokens(AUDIENCE, 'test-key-1');
const idToken = google.idToken.bind(google);
const impostor = generateKeyPairSync('rsa', { modulusLength: 2048 });

let server: Server;
let ctx: Context;

beforeAll(async () => {
  const certsUrl = await google.start();
  Object.assign(process.env, {
    MLOOP_HOME: home,
    MLOOP_LOG_LEVEL: 'silent',
    MLOOP_API_KEY: API_KEY,
    MLOOP_ALLOWED_IDENTITIES: 'Scorer@proj.iam.gserviceaccount.com, alice@example.com',
    MLOOP_ID_TOKEN_AUDIENCE: AUDIENCE,
    MLOOP_GOOGLE_CERTS_URL: certsUrl,
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../functions/index');
  const config = loadConfig();
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  await installVersion(ctx, 'fraud', 'v1', await trainSmallModel(home));
  server = getTestServer('score');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await google.close();
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const score = (authorization?: string) => {
  const call = request(server).post('/score/fraud');
  return (authorization ? call.set('authorization', authorization) : call).send({ instances: [FRAUD_ROW] });
};

describe('with an API key and allowed Google identities', () => {
  it('leaves health open and closes every other route without credentials (401)', async () => {
    for (const path of ['/health', '/v2/health/live', '/v2/health/ready']) expect((await request(server).get(path)).status).toBe(200);
    for (const path of ['/metrics', '/openapi.json', '/v2/models/fraud', '/v1/models/fraud', '/v2']) expect((await request(server).get(path)).status).toBe(401);
    const response = await score();
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/missing credentials: send Authorization: Bearer <API key or Google ID token>/);
  });

  it('lets the API key in, and not a wrong one', async () => {
    expect((await score(`Bearer ${API_KEY}`)).status).toBe(200);
    expect((await request(server).get('/metrics').set('x-api-key', API_KEY)).status).toBe(200);
    expect((await score('Bearer nope')).status).toBe(401);
  });

  it('lets an allowed identity in with its ID token, whatever the case of its email', async () => {
    const token = idToken({ email: 'scorer@proj.iam.gserviceaccount.com' });
    expect((await score(`Bearer ${token}`)).status).toBe(200);
    expect((await request(server).get('/v2/models/fraud').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await score(`Bearer ${idToken({ email: 'alice@example.com' })}`)).status).toBe(200);
  });

  it('answers a genuine identity that is not allowed with a 403', async () => {
    const response = await score(`Bearer ${idToken({ email: 'mallory@example.com' })}`);
    expect(response.status).toBe(403);
    expect(response.body.error.message).toMatch(/mallory@example.com may not call this service/);
    expect((await score(`Bearer ${idToken({ email: 'alice@example.com', email_verified: false })}`)).status).toBe(403);
  });

  it('refuses tokens that are not genuine, current and for this service (401)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      idToken({ email: 'alice@example.com' }, impostor.privateKey),
      idToken({ email: 'alice@example.com', aud: 'https://another-service.run.app' }),
      idToken({ email: 'alice@example.com', iss: 'https://evil.example.com' }),
      idToken({ email: 'alice@example.com', iat: now - 7200, exp: now - 3600 }),
      `${idToken({ email: 'alice@example.com' }).slice(0, -4)}AAAA`,
    ];
    for (const token of bad) {
      const response = await score(`Bearer ${token}`);
      expect(response.status).toBe(401);
      expect(response.body.error.message).toMatch(/Google ID token was not accepted/);
    }
  });
});
