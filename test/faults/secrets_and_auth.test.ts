import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { apiKeyMatches } from '../../shared/core/auth';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import { createPlatform } from '../../shared/platform';
import { adminApi } from '../../shared/serving/admin_api';
import { cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

jest.setTimeout(120_000);

const KEY = 'mk-7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b';
const WRONG = 'mk-0000wrong0000key0000presented0000';
const INSTANCE = { step: 1, type: 'TRANSFER', amount: 181, nameOrig: 'C1', oldbalanceOrg: 181, newbalanceOrig: 0, nameDest: 'C2', oldbalanceDest: 0, newbalanceDest: 0 };

// What the dashboard shows: open by default (MLOOP_DASHBOARD_READS=open) even with a key configured.
const READS: Array<[string, string]> = [
  ['GET', '/api/runs'],
  ['GET', '/api/runs/run-x'],
  ['GET', '/api/runs/run-x/detail'],
  ['GET', '/api/models'],
  ['GET', '/api/registry'],
  ['GET', '/api/datasets'],
  ['GET', '/api/drift'],
  ['GET', '/api/drift/history'],
  ['GET', '/api/drift/reports/r-x'],
  ['GET', '/api/no-such-route'],
];
// Every action, and the dead letters (whatever was published, poison bytes included): always closed.
const GUARDED: Array<[string, string]> = [
  ['GET', '/api/dead-letters'],
  ['POST', '/api/no-such-route'],
  ['POST', '/api/models/fraud/rollback'],
  ['POST', '/api/models/fraud/versions/v1/promote'],
  ['POST', '/api/models/fraud/versions/v1/approve'],
  ['POST', '/api/models/fraud/versions/v1/reject'],
  ['POST', '/api/dead-letters/dl-x/redeliver'],
  ['POST', '/api/monitor'],
];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * With MLOOP_API_KEY set, a whole small loop runs, every admin and scoring route is tried with no key,
 * a wrong key and the right one, and then no log of the stack or of its jobs may contain either key.
 */
describe('a full loop with MLOOP_API_KEY', () => {
  it('leaves the reads open, closes every action, the dead letters and scoring without the key, and never writes a key to a log', async () => {
    const home = tempHome('mloop-secret-');
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '2', MLOOP_API_KEY: KEY, MLOOP_LOG_LEVEL: 'debug' });
    const csv = path.join(home, 'a.csv');
    await writeFraudCsv(csv, { rows: 2000, seed: 51 });
    const up = startUp(env, path.join(home, 'up.log'));
    const call = (method: string, route: string, key?: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      });
    await until('the stack to answer', () => call('GET', '/health').then((r) => r.ok));
    cli(['push', csv, '--model', 'fraud'], env);
    await until('a production model', () => cliJson<Array<{ stage: string }>>(['models'], env).some((m) => m.stage === 'production'));

    for (const [method, route] of READS) {
      expect([method, route, (await call(method, route)).status]).not.toEqual([method, route, 401]);
      expect([method, route, (await call(method, route, WRONG)).status]).not.toEqual([method, route, 401]);
    }
    expect(await (await call('GET', '/api/registry')).json()).toEqual([expect.objectContaining({ name: 'fraud', production_version: 'v1' })]);
    for (const [method, route] of GUARDED) {
      expect([method, route, (await call(method, route)).status]).toEqual([method, route, 401]);
      expect([method, route, (await call(method, route, WRONG)).status]).toEqual([method, route, 401]);
      expect([method, route, (await call(method, route, KEY)).status]).not.toEqual([method, route, 401]);
    }
    const score = { instances: [INSTANCE] };
    expect((await call('POST', '/score/fraud', undefined, score)).status).toBe(401);
    expect((await call('POST', '/score/fraud', WRONG, score)).status).toBe(401);
    const keyed = await fetch(`http://127.0.0.1:${port}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify(score) });
    expect(keyed.status).toBe(200);
    expect((await call('POST', '/score/fraud', KEY, score)).status).toBe(200);

    expect(await stopGracefully(up)).toBe(0);
    const logs = [path.join(home, 'up.log'), ...files(path.join(home, 'logs'))];
    expect(logs.length).toBeGreaterThan(1);
    const leaks = logs.filter((file) => {
      const text = fs.readFileSync(file, 'latin1');
      return text.includes(KEY) || text.includes(WRONG);
    });
    expect(leaks).toEqual([]);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

/** The admin API in process on a real store: the reads closed too when the deployment asks for it. */
describe('the admin API with MLOOP_DASHBOARD_READS=key', () => {
  const home = tempHome('mloop-reads-key-');
  const config = configFor(home, { MLOOP_API_KEY: KEY, MLOOP_DASHBOARD_READS: 'key' });
  const platform = createPlatform(config, createLogger('silent'));
  const app = express().use(express.json()).use('/api', adminApi({ config, log: createLogger('silent'), platform }, { monitorNow: async () => [] }));

  afterAll(async () => {
    await platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('closes every read and every action without the right key', async () => {
    const send = (method: string, route: string, key?: string) => {
      const req = method === 'GET' ? request(app).get(route) : request(app).post(route).send({});
      return key ? req.set('authorization', `Bearer ${key}`) : req;
    };
    for (const [method, route] of [...READS, ...GUARDED]) {
      expect([method, route, (await send(method, route)).status]).toEqual([method, route, 401]);
      expect([method, route, (await send(method, route, WRONG)).status]).toEqual([method, route, 401]);
      expect([method, route, (await send(method, route, KEY)).status]).not.toEqual([method, route, 401]);
    }
  });

  it('compares keys in full: a prefix, an extension or one changed character is refused', () => {
    expect(apiKeyMatches(KEY, KEY)).toBe(true);
    for (const near of [KEY.slice(0, -1), `${KEY}0`, `${KEY.slice(0, -1)}c`, '']) expect([near, apiKeyMatches(near, KEY)]).toEqual([near, false]);
  });

  it('compares through fixed-length digests with timingSafeEqual, so timing tells nothing of the key', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'shared', 'core', 'auth.ts'), 'utf8');
    expect(source).toMatch(/timingSafeEqual\(a, b\)/);
    expect(source).toMatch(/createHash\('sha256'\)\.update\(presented\)/);
    expect(fs.readFileSync(path.join(__dirname, '..', '..', 'shared', 'serving', 'admin_api.ts'), 'utf8')).toMatch(/createAuthenticator\(ctx\.config\.apiKey/);
  });
});
