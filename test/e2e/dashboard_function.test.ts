/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { loadConfig } from '../../shared/core/config';
import { MonitoringTick, TOPICS } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { artifactsPrefix, COLLECTIONS, type ModelVersionDoc, type Stage } from '../../shared/pipeline/store/documents';
import type { RegistryModel } from '../../shared/pipeline/read_models/registry_view';
import { createPlatform } from '../../shared/platform';
import type { Platform } from '../../shared/platform/ports';
import { FakeGoogleIdTokens } from '../fakes/google_id_tokens';
import { ROOT, tempHome, until } from './helpers';

jest.setTimeout(60_000);

const home = tempHome('mloop-dashboard-fn-');
const KEY = 'dashboard-fn-key-5b1e';
const AUDIENCE = 'https://dashboard-abc123-ew.a.run.app';
const google = new FakeGoogleIdTokens(AUDIENCE, 'dashboard-test-key');
// The function reads its configuration from the environment, as on Cloud Functions (when it first serves).
Object.assign(process.env, {
  MLOOP_HOME: home,
  MLOOP_API_KEY: KEY,
  MLOOP_ALLOWED_IDENTITIES: 'ops@example.com',
  MLOOP_ID_TOKEN_AUDIENCE: AUDIENCE,
  MLOOP_POLL_MS: '20',
  MLOOP_LOG_LEVEL: 'warn',
});
// The deployed bundle, not the source: it is what finds the page's files beside it in dist/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.join(ROOT, 'dist', 'functions', 'index.js'));

const idToken = (email: string) => google.idToken({ email });

let platform: Platform;

beforeAll(async () => {
  process.env.MLOOP_GOOGLE_CERTS_URL = await google.start();
  platform = createPlatform(loadConfig(), createLogger('silent'));
  const at = new Date().toISOString();
  await platform.docs.set(COLLECTIONS.models, 'fraud', { name: 'fraud', production_version: 'v2', previous_version: 'v1', next_version: 3, aliases: { champion: 'v2' }, updated_at: at });
  const versions: Array<[string, Stage]> = [['v1', 'archived'], ['v2', 'production']];
  for (const [version, stage] of versions) {
    const doc: ModelVersionDoc = {
      model: 'fraud', version, stage, run_id: `run-${version}`, dataset_version: `ds-${version}`, artifacts_prefix: artifactsPrefix('fraud', version),
      metrics: { auc: 0.9 }, decision_id: `dec-${version}`, created_at: at, history: [{ from: null, to: stage, by: 'mloop', at, reason: 'seeded' }],
    };
    await platform.docs.set(COLLECTIONS.versions, `fraud@${version}`, { ...doc });
  }
});

afterAll(async () => {
  await google.close();
  await platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const server = () => getTestServer('dashboard');
const registry = async () => (await request(server()).get('/api/registry').expect(200)).body as RegistryModel[];

describe('the dashboard function', () => {
  it('serves the page at / and its assets from the bundle', async () => {
    const page = await request(server()).get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<main id="view">');
    const script = await request(server()).get('/dashboard/main.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text.length).toBeGreaterThan(1000);
    await request(server()).get('/dashboard/style.css').expect('content-type', /text\/css/).expect(200);
    await request(server()).get('/dashboard/nope.js').expect(404);
  });

  it('answers the registry from the store without a key, and keeps the dead letters behind it', async () => {
    const [model] = await registry();
    expect(model).toMatchObject({ name: 'fraud', production_version: 'v2', previous_version: 'v1' });
    expect(model.versions.map((v) => [v.version, v.stage])).toEqual([['v1', 'archived'], ['v2', 'production']]);
    await request(server()).get('/api/dead-letters').expect(401);
    await request(server()).get('/api/dead-letters').set('authorization', `Bearer ${KEY}`).expect(200, []);
  });

  it('refuses a rollback without the key, with a message that says what to send, and changes nothing', async () => {
    const refused = await request(server()).post('/api/models/fraud/rollback').send({}).expect(401);
    expect(refused.body.error.message).toMatch(/Authorization: Bearer/);
    await request(server()).post('/api/models/fraud/rollback').set('authorization', 'Bearer wrong').send({}).expect(401);
    expect((await registry())[0].production_version).toBe('v2');
  });

  it('rolls back with the key', async () => {
    const done = await request(server()).post('/api/models/fraud/rollback').set('authorization', `Bearer ${KEY}`).send({ reason: 'from the test' }).expect(200);
    expect(done.body).toMatchObject({ model: 'fraud', version: 'v1', stage: 'production', previous_production: 'v2' });
    const [model] = await registry();
    expect(model.production_version).toBe('v1');
    expect(model.versions.find((v) => v.version === 'v1')!.history.at(-1)).toMatchObject({ to: 'production', by: 'admin-api', reason: 'from the test' });
  });

  it('rolls back with the Google ID token of an allowed identity, and refuses one that is not allowed (403)', async () => {
    const other = await request(server()).post('/api/models/fraud/rollback').set('authorization', `Bearer ${idToken('mallory@example.com')}`).send({}).expect(403);
    expect(other.body.error.message).toMatch(/mallory@example.com may not/);
    await request(server()).post('/api/models/fraud/rollback').set('authorization', `Bearer ${idToken('ops@example.com')}`).send({}).expect(200);
    expect((await registry())[0].production_version).toBe('v2');
  });

  it('hands a monitoring pass asked for to onMonitoringTick as a tick', async () => {
    await platform.bus.ensureSubscription(TOPICS.monitoringTick, 'probe-monitoring-tick');
    const ticks: unknown[] = [];
    const probe = await platform.bus.subscribe('probe-monitoring-tick', async (message) => void ticks.push(message.data));
    try {
      await request(server()).post('/api/monitor?model=fraud').expect(401);
      const queued = await request(server()).post('/api/monitor?model=fraud').set('x-api-key', KEY).expect(200);
      expect(queued.body.queued).toMatchObject({ model: 'fraud' });
      await until('the tick to arrive', async () => ticks.length === 1);
      expect(MonitoringTick.parse(ticks[0])).toEqual(queued.body.queued);
    } finally {
      await probe.close();
    }
  });
});
