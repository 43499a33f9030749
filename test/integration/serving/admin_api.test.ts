import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { adminApi } from '../../../shared/serving/admin_api';
import { configFor } from '../../../shared/core/config';
import { createLogger } from '../../../shared/core/log';
import type { Context } from '../../../shared/pipeline/context';
import { artifactsPrefix, COLLECTIONS, type ModelVersionDoc, type Stage } from '../../../shared/pipeline/store/documents';
import type { RegistryModel } from '../../../shared/pipeline/read_models/registry_view';
import { createPlatform } from '../../../shared/platform';
import { DEFAULT_IMAGE_SPEC, imageFloats, type ImageTrainingData } from '../../../shared/data/images/image_spec';
import { misclassifiedThumbnails } from '../../../shared/pipeline/artifacts/misclassified_thumbnails';

const KEY = 'registry-routes-key';
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-admin-registry-'));
const config = configFor(home, { MLOOP_API_KEY: KEY });
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
const app = express().use(express.json()).use('/api', adminApi(ctx, { monitorNow: async () => [] }));
const auth = { authorization: `Bearer ${KEY}` };

async function seed(versions: Array<[string, Stage]>) {
  const at = new Date().toISOString();
  await ctx.platform.docs.set(COLLECTIONS.models, 'fraud', { name: 'fraud', production_version: 'v1', previous_version: null, next_version: 4, aliases: { champion: 'v1' }, updated_at: at });
  for (const [version, stage] of versions) {
    const doc: ModelVersionDoc = {
      model: 'fraud', version, stage, run_id: `run-${version}`, dataset_version: `ds-${version}`, artifacts_prefix: artifactsPrefix('fraud', version),
      metrics: { auc: 0.9 }, decision_id: `dec-${version}`, created_at: at, history: [{ from: null, to: stage, by: 'mloop', at, reason: 'seeded' }],
    };
    await ctx.platform.docs.set(COLLECTIONS.versions, `fraud@${version}`, { ...doc });
  }
}

const registry = async () => (await request(app).get('/api/registry').set(auth).expect(200)).body as RegistryModel[];
const stages = async () => Object.fromEntries((await registry())[0].versions.map((v) => [v.version, v.stage]));

beforeAll(() => seed([['v1', 'production'], ['v2', 'candidate'], ['v3', 'candidate']]));

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the admin API registry routes', () => {
  it('refuse every move without the API key, and change nothing, while the registry stays readable', async () => {
    await request(app).post('/api/models/fraud/versions/v2/approve').expect(401);
    await request(app).post('/api/models/fraud/rollback').set({ authorization: 'Bearer wrong' }).expect(401);
    await request(app).get('/api/registry').expect(200);
    expect(await stages()).toEqual({ v1: 'production', v2: 'candidate', v3: 'candidate' });
  });

  it('approve a candidate, with the reason given and the API as who in its history', async () => {
    const res = await request(app).post('/api/models/fraud/versions/v2/approve').set(auth).send({ reason: 'looked at the curves' }).expect(200);
    expect(res.body).toMatchObject({ model: 'fraud', version: 'v2', stage: 'production', previous_production: 'v1' });
    const [model] = await registry();
    expect(model).toMatchObject({ production_version: 'v2', previous_version: 'v1', aliases: { champion: 'v2' } });
    expect(model.versions.find((v) => v.version === 'v2')!.history.at(-1)).toMatchObject({ from: 'candidate', to: 'production', by: 'admin-api', reason: 'looked at the curves' });
  });

  it('refuse to approve what is not a candidate, with a 409 that says why', async () => {
    const res = await request(app).post('/api/models/fraud/versions/v1/approve').set(auth).expect(409);
    expect(res.body.error.message).toMatch(/v1 is archived, not candidate/);
  });

  it('reject a candidate and roll back to the previous production version', async () => {
    await request(app).post('/api/models/fraud/versions/v3/reject').set(auth).expect(200);
    await request(app).post('/api/models/fraud/rollback').set(auth).expect(200);
    expect(await stages()).toEqual({ v1: 'production', v2: 'archived', v3: 'rejected' });
  });

  it('answer 404 for the detail of a run that does not exist', async () => {
    await request(app).get('/api/runs/run-nope/detail').set(auth).expect(404);
    await request(app).get('/api/drift/reports/nope').set(auth).expect(404);
  });
});

describe('the thumbnails of an image run\'s misclassified test images', () => {
  const spec = { ...DEFAULT_IMAGE_SPEC, size: 8 };
  // three test images: circle (right), square (taken for a circle), triangle (taken for a square)
  const test = { x: new Float32Array(3 * imageFloats(spec)).fill(0.5), y: Int32Array.from([0, 1, 2]), n: 3 };
  const empty = { x: new Float32Array(0), y: new Int32Array(0), n: 0 };
  const data: ImageTrainingData = { spec, classes: ['circle', 'square', 'triangle'], train: empty, validation: empty, test };
  const probabilities = Float32Array.from([0.9, 0.05, 0.05, 0.7, 0.2, 0.1, 0.1, 0.6, 0.3]);
  const readsNeedKey: Context = { ...ctx, config: configFor(home, { MLOOP_API_KEY: KEY, MLOOP_DASHBOARD_READS: 'key' }) };
  const guarded = express().use('/api', adminApi(readsNeedKey, { monitorNow: async () => [] }));

  beforeAll(async () => {
    const at = new Date().toISOString();
    await ctx.platform.docs.set(COLLECTIONS.runs, 'run-leaves', { id: 'run-leaves', model: 'leaves', model_version: 'v1', dataset_version: 'ds', status: 'succeeded', attempt: 1, created_at: at });
    const { list, files } = await misclassifiedThumbnails(data, probabilities);
    expect(list.map((m) => [m.label, m.predicted])).toEqual([['square', 'circle'], ['triangle', 'square']]);
    for (const file of files) await ctx.platform.objects.put(config.artifactsBucket, artifactsPrefix('leaves', 'v1') + file.name, file.data, { contentType: file.contentType });
  });

  it('serves each one as a PNG, by run and index', async () => {
    for (const index of [0, 1]) {
      const res = await request(app).get(`/api/runs/run-leaves/misclassified/${index}`).buffer(true).expect(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect((res.body as Buffer).subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  it('refuses an index that is not a small whole number, before it names any object', async () => {
    for (const index of ['abc', '-1', '1.0', '32', '0x1', '..%2Fmanifest.json', '%2E%2E']) {
      const res = await request(app).get(`/api/runs/run-leaves/misclassified/${index}`).expect(400);
      expect(res.body.error.message).toMatch(/a thumbnail index is a whole number from 0 to 31/);
    }
  });

  it('answers 404 for an index the run has no thumbnail for, or a run that does not exist', async () => {
    expect((await request(app).get('/api/runs/run-leaves/misclassified/2').expect(404)).body.error.message).toMatch(/no misclassified image 2/);
    await request(app).get('/api/runs/run-nope/misclassified/0').expect(404);
  });

  it('needs the key as every other read does, with MLOOP_DASHBOARD_READS=key', async () => {
    await request(guarded).get('/api/runs/run-leaves/misclassified/0').expect(401);
    await request(guarded).get('/api/runs/run-leaves/misclassified/0').set({ authorization: 'Bearer wrong' }).expect(401);
    await request(guarded).get('/api/runs/run-leaves/misclassified/0').set(auth).expect(200);
  });
});
