/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../shared/core/config';
import { createLogger } from '../../../shared/core/log';
import type { Context } from '../../../shared/pipeline/context';
import { COLLECTIONS, type ModelDoc } from '../../../shared/pipeline/store/documents';
import { installVersion } from '../../../shared/pipeline/usecases/install_version';
import { abortCanary, completeCanary, promoteVersion, rollback } from '../../../shared/pipeline/usecases/registry_transitions';
import { createPlatform } from '../../../shared/platform';
import { inCanary } from '../../../shared/serving/canary_split';
import { ModelServer } from '../../../shared/serving/model_server';
import { createScoringRouter } from '../../../shared/serving/router';
import { ScoringMetrics } from '../../../shared/serving/metrics';
import { trainSmallModel } from '../../support/trained_model';

jest.setTimeout(120_000);

/**
 * The in-process ModelServer of `mloop up` and `mloop serve` (one process, no revisions) on real
 * SQLite and model files: a canary splits the requests by the hash of their id, complete and abort
 * end it; and a Cloud Run revision's server (MLOOP_SERVED_MODELS) serves only what it was deployed with.
 */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-model-server-'));
const ids = Array.from({ length: 1000 }, (_, i) => `request-${i}`);
let ctx: Context;
const servers: ModelServer[] = [];

function context(overrides: Record<string, string> = {}): Context {
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', ...overrides });
  return { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
}

function server(c: Context): ModelServer {
  const s = new ModelServer(c);
  servers.push(s);
  return s;
}

const versionsFor = (s: ModelServer) => ids.map((id) => s.resolve('fraud', id).scorer.version);
const count = (versions: string[], v: string) => versions.filter((x) => x === v).length;
const actor = { by: 'test', reason: 'test' };

beforeAll(async () => {
  ctx = context({ MLOOP_CANARY_PERCENT: '30' });
  const dir = await trainSmallModel(home);
  await installVersion(ctx, 'fraud', 'v1', dir);
  await installVersion(ctx, 'fraud', 'v2', dir, 'candidate');
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

test('a promotion with MLOOP_CANARY_PERCENT sends that share of the requests, by id, to the new version until it is completed', async () => {
  const s = server(ctx);
  await s.refresh();
  expect(new Set(versionsFor(s))).toEqual(new Set(['v1']));

  await promoteVersion(ctx, 'fraud', 'v2', actor);
  expect(await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, 'fraud')).toMatchObject({ production_version: 'v2', canary: { version: 'v2', previous_version: 'v1', percent: 30 } });
  await s.onPromoted('fraud');
  const split = versionsFor(s);
  expect(count(split, 'v2')).toBe(ids.filter((id) => inCanary(id, 30)).length);
  expect(count(split, 'v2')).toBeGreaterThan(250);
  expect(count(split, 'v2')).toBeLessThan(350);
  // The same id always lands on the same side.
  expect(versionsFor(s)).toEqual(split);

  // A V2 path naming a version is answered by that version, whichever side of the split its id falls on.
  const router = createScoringRouter({ server: async () => s, log: createLogger('silent'), authenticate: null, metrics: new ScoringMetrics(() => ({})), maxBodyBytes: 1 << 20 });
  const call = (method: string, p: string, body?: unknown, id = 'x') =>
    router({ method, path: p, headers: { 'content-type': 'application/json', 'x-request-id': id }, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)) });
  const meta = JSON.parse((await call('GET', '/v2/models/fraud/versions/v1')).body) as { inputs: Array<{ name: string; datatype: string }> };
  const inputs = meta.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [1], data: [i.datatype === 'BYTES' ? 'x' : 0] }));
  for (const version of ['v1', 'v2']) {
    expect((await call('GET', `/v2/models/fraud/versions/${version}`)).status).toBe(200);
    for (const id of ids.slice(0, 20)) {
      const reply = await call('POST', `/v2/models/fraud/versions/${version}/infer`, { inputs }, id);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).model_version).toBe(version);
    }
  }
  expect((await call('GET', '/v2/models/fraud/versions/v3')).status).toBe(404);

  await completeCanary(ctx, 'fraud', actor);
  expect((await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, 'fraud'))?.canary).toBeNull();
  await s.onPromoted('fraud');
  expect(new Set(versionsFor(s))).toEqual(new Set(['v2']));
  await expect(completeCanary(ctx, 'fraud', actor)).rejects.toMatchObject({ code: 'failed_precondition' });
});

test('aborting a canary puts the previous version back in production with all the requests; a rollback is never a canary', async () => {
  const s = server(ctx);
  await promoteVersion(ctx, 'fraud', 'v1', actor);
  await s.refresh();
  expect(new Set(versionsFor(s))).toEqual(new Set(['v1', 'v2']));

  const aborted = await abortCanary(ctx, 'fraud', actor);
  expect(aborted).toMatchObject({ version: 'v2', previous_production: 'v1' });
  expect(await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, 'fraud')).toMatchObject({ production_version: 'v2', canary: null });
  await s.onPromoted('fraud');
  expect(new Set(versionsFor(s))).toEqual(new Set(['v2']));

  await rollback(ctx, 'fraud', actor);
  expect(await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, 'fraud')).toMatchObject({ production_version: 'v1', canary: null });
  await s.refresh();
  expect(new Set(versionsFor(s))).toEqual(new Set(['v1']));
});

test('a revision serves exactly the versions of its environment, ready only once they are loaded, whatever the registry says', async () => {
  const pinned = context({ MLOOP_SERVED_MODELS: 'fraud=v2' });
  const s = server(pinned);
  expect(s.ready()).toBe(false);
  await s.refresh();
  expect(s.ready()).toBe(true);
  expect((await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, 'fraud'))?.production_version).toBe('v1');
  expect(new Set(versionsFor(s))).toEqual(new Set(['v2']));
  await s.onPromoted('fraud');
  expect(s.versions()).toEqual({ fraud: 'v2' });
  await expect(s.scorerFor('wine')).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/not served by this revision/) });
  // A revision deployed before any promotion serves nothing and is ready at once.
  const empty = server(context({ MLOOP_SERVED_MODELS: '' }));
  await empty.refresh();
  expect(empty.ready()).toBe(true);
  await pinned.platform.close();
});
