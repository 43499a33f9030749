import fs from 'node:fs';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import { cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

jest.setTimeout(120_000);

const KEY = 'mk-7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b';
const WRONG = 'mk-0000wrong0000key0000presented0000';
const INSTANCE = { step: 1, type: 'TRANSFER', amount: 181, nameOrig: 'C1', oldbalanceOrg: 181, newbalanceOrig: 0, nameDest: 'C2', oldbalanceDest: 0, newbalanceDest: 0 };

const ADMIN_ROUTES: Array<[string, string]> = [
  ['GET', '/api/runs'],
  ['GET', '/api/runs/run-x'],
  ['GET', '/api/runs/run-x/detail'],
  ['GET', '/api/models'],
  ['GET', '/api/registry'],
  ['GET', '/api/datasets'],
  ['GET', '/api/dead-letters'],
  ['GET', '/api/drift'],
  ['GET', '/api/drift/history'],
  ['GET', '/api/drift/reports/r-x'],
  ['GET', '/api/no-such-route'],
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
  it('closes every admin and scoring route without the key, and never writes a key to a log', async () => {
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

    for (const [method, route] of ADMIN_ROUTES) {
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
