import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fc from 'fast-check';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { PREDICTIONS_PREFIX, readPredictionObject, type PredictionRecord } from '../../shared/pipeline/store/prediction_records';
import { promoteVersion, setAlias } from '../../shared/pipeline/usecases/registry_transitions';
import { createPlatform } from '../../shared/platform';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { killGroup, startServe, tempHome, until } from './helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-serve-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
let child: ChildProcess;
let url: string;
let dir: string;

const score = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  dir = await trainSmallModel(home);
  await installVersion(ctx, 'fraud', 'v1', dir);
  ({ child, url } = await startServe(home, { MLOOP_PREDICTION_FLUSH_MS: '100' }));
});

afterAll(async () => {
  await killGroup(child);
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('mloop serve', () => {
  it('scores in two worker processes and sums their metrics', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, () => score({ instances: [FRAUD_ROW, FRAUD_ROW] })));
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    const text = await (await fetch(`${url}/metrics`)).text();
    // However the connections were spread over the workers, the sum is every request and every row.
    expect(text).toMatch(/^mloop_http_requests_total\{route="score",status="200"\} 40$/m);
    expect(text).toMatch(/^mloop_rows_scored_total\{model="fraud"\} 80$/m);
    expect(text).toMatch(/^mloop_model_info\{model="fraud",version="v1"\} 1$/m);
  });

  it('refuses a body over the limit with a 413, without keeping it', async () => {
    const response = await fetch(`${url}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(config.maxBodyBytes + 1) });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('payload_too_large');
  });

  it('never answers bad input with a 500', async () => {
    const paths = fc.constantFrom('/score', '/score/fraud', '/score/%E0%A4%A', '/v1/models/fraud:predict', '/v2/models/fraud/infer', '/v2/models/%ZZ/infer', '/feedback');
    const body = fc.oneof(fc.jsonValue(), fc.record({ instances: fc.array(fc.dictionary(fc.constantFrom(...Object.keys(FRAUD_ROW), 'z'), fc.jsonValue()), { maxLength: 4 }) }));
    await fc.assert(
      fc.asyncProperty(paths, body, async (path, value) => {
        const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
        await response.arrayBuffer();
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('swaps to a promoted version in every worker under load without a failed request', async () => {
    await installVersion(ctx, 'fraud', 'v2', dir, 'candidate');
    const versions: string[] = [];
    let failures = 0;
    let promoted = false;
    let stop = false;
    // Bounded in time whatever happens, so a swap that never comes fails the test instead of loading forever.
    const deadline = Date.now() + 60_000;
    const load = Array.from({ length: 16 }, async () => {
      while (!stop && Date.now() < deadline) {
        try {
          const response = await score({ instances: [FRAUD_ROW] });
          if (response.status !== 200) failures++;
          else versions.push((await response.json()).model_version);
        } catch {
          failures++;
        }
        // Enough v2 answers in a row, after the promotion, means every worker swapped.
        if (promoted && versions.length > 200 && versions.slice(-200).every((v) => v === 'v2')) stop = true;
      }
    });
    await until('traffic on v1', () => versions.length > 200);
    await promoteVersion(ctx, 'fraud', 'v2', { by: 'test', reason: 'swap under load' });
    promoted = true;
    await Promise.all(load);
    expect(failures).toBe(0);
    expect(versions[0]).toBe('v1');
    expect(versions.at(-1)).toBe('v2');
    // Once a request saw v2 no later one went back to v1 — unless a worker that had not swapped yet answered it.
    expect(new Set(versions)).toEqual(new Set(['v1', 'v2']));
  });

  it('scores a copy of live traffic with the challenger in shadow: logged with a marker, never returned', async () => {
    await installVersion(ctx, 'fraud', 'v3', dir, 'candidate');
    await setAlias(ctx, 'fraud', 'challenger', 'v3');
    const ids: string[] = [];
    await until('the challenger in shadow', async () => {
      const id = `shadow-${ids.length}`;
      ids.push(id);
      const response = await score({ instances: [FRAUD_ROW] }, { 'x-request-id': id });
      expect((await response.json()).model_version).toBe('v2');
      const records = await logged();
      return records.some((r) => r.shadow && ids.includes(r.request_id));
    }, 20_000, 200);
    const records = await logged();
    const shadow = records.filter((r) => r.shadow);
    expect(new Set(shadow.map((r) => r.model_version))).toEqual(new Set(['v3']));
    for (const record of shadow) expect(record.model).toBe('fraud');
    expect(shadow.every((r) => ids.includes(r.request_id))).toBe(true);
    // Served predictions stay under the model's own prefix, the shadow ones beside it: drift sees only the served ones.
    const served = await logged('model=fraud/');
    expect(served.some((r) => r.shadow)).toBe(false);
    expect(served.some((r) => r.model_version === 'v2')).toBe(true);
  });
});

async function logged(under = ''): Promise<PredictionRecord[]> {
  const objects = await ctx.platform.objects.list(config.artifactsBucket, PREDICTIONS_PREFIX);
  const records: PredictionRecord[] = [];
  for (const object of objects.filter((o) => o.name.includes(under))) {
    records.push(...(await readPredictionObject(ctx, object.bucket, object.name)));
  }
  return records;
}
