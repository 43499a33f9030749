import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { configFor } from '../../../shared/core/config';
import { TOPICS, type TrainingRequested } from '../../../shared/core/events';
import { createLogger } from '../../../shared/core/log';
import type { Context } from '../../../shared/pipeline/context';
import type { RunView } from '../../../shared/pipeline/read_models/listings';
import { storeOver } from '../../../shared/pipeline/store';
import type { RunDoc } from '../../../shared/pipeline/store/documents';
import { requestTraining } from '../../../shared/pipeline/usecases/on_training_requested';
import { createPlatform } from '../../../shared/platform';
import type { BusMessage, Platform } from '../../../shared/platform/ports';
import { adminApi } from '../../../shared/serving/admin_api';
import { RecordingLauncher } from '../../support/recording_launcher';
import { runDoc } from '../pipeline/store/local_store';

const KEY = 'jobs-routes-key';
const auth = { authorization: `Bearer ${KEY}` };
let home: string;
let platform: Platform;
let ctx: Context;
let app: express.Express;

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-run-routes-'));
  const config = configFor(home, { MLOOP_API_KEY: KEY, MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '1' });
  platform = { ...createPlatform(config, createLogger('silent')), jobs: new RecordingLauncher() };
  ctx = { config, log: createLogger('silent'), platform };
  app = express().use(express.json()).use('/api', adminApi(ctx, { monitorNow: async () => [] }));
  await platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
  for (const version of ['d1', 'd2']) {
    await storeOver(platform.docs).datasets.createOrGet({
      model: 'fraud',
      version,
      status: 'accepted',
      object: { bucket: 'data', name: `datasets/fraud/${version}.csv`, generation: '1', md5Hash: 'x', size: 1 },
      created_at: new Date(Date.UTC(2026, 0, version === 'd1' ? 1 : 2)).toISOString(),
    });
  }
});

afterEach(async () => {
  await platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** The training requests published so far, as onTrainingRequested would receive them. */
async function published(count: number): Promise<TrainingRequested[]> {
  const received: BusMessage[] = [];
  const subscription = await platform.bus.subscribe('probe', async (message) => void received.push(message));
  const deadline = Date.now() + 5000;
  while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 200));
  await subscription.close();
  return received.map((message) => message.data as TrainingRequested);
}

describe('POST /api/runs', () => {
  const body = { model: 'fraud', algorithm: 'gbdt', params: { num_leaves: 15 }, sample: 500, reason: 'new features', tags: { team: 'risk' } };

  it('needs the API key, and names the field a bad body gets wrong', async () => {
    await request(app).post('/api/runs').send(body).expect(401);
    const cases: Array<[object, string]> = [
      [{ ...body, model: undefined }, 'model'],
      [{ ...body, reason: undefined }, 'reason'],
      [{ ...body, sample: -3 }, 'sample'],
      [{ ...body, algorithm: 'deep_magic' }, 'algorithm'],
      [{ ...body, tags: { 'bad key': 'x' } }, 'tags.bad key'],
      [{ ...body, colour: 'blue' }, 'colour'],
    ];
    for (const [bad, field] of cases) {
      const res = await request(app).post('/api/runs').set(auth).send(bad).expect(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_argument', field });
      expect(res.body.error.message).toContain(field);
    }
    await request(app).post('/api/runs').set(auth).send({ ...body, dataset_version: 'nope' }).expect(404);
    expect(await published(0)).toEqual([]);
  });

  it('starts one run per idempotency key: 201, then 200 with the same run, 409 for the key with another body', async () => {
    const first = await request(app).post('/api/runs').set({ ...auth, 'idempotency-key': 'k-1' }).send(body).expect(201);
    expect(first.headers.location).toBe(`/api/runs/${first.body.run_id}`);
    expect(first.body).toMatchObject({ model: 'fraud', dataset_version: 'd2', replayed: false, run: null });
    const [requested, ...others] = await published(1);
    expect(others).toEqual([]);
    expect(requested).toMatchObject({ model: 'fraud', dataset_version: 'd2', reason: 'manual', requested_by: 'admin-api', note: 'new features', tags: { team: 'risk' } });
    expect(requested.training).toEqual({ algorithm: 'gbdt', params: { num_leaves: 15 }, sample: 500 });
    // onTrainingRequested creates the run the id was promised for
    expect((await requestTraining(ctx, requested)).runId).toBe(first.body.run_id);

    const replay = await request(app).post('/api/runs').set({ ...auth, 'idempotency-key': 'k-1' }).send({ ...body, tags: { team: 'risk' } }).expect(200);
    expect(replay.body).toMatchObject({ run_id: first.body.run_id, request_id: first.body.request_id, replayed: true });
    expect(replay.body.run).toMatchObject({ id: first.body.run_id, status: 'running', algorithm: 'gbdt', tags: { team: 'risk' } });
    const conflict = await request(app).post('/api/runs').set({ ...auth, 'idempotency-key': 'k-1' }).send({ ...body, reason: 'something else' }).expect(409);
    expect(conflict.body.error.run_id).toBe(first.body.run_id);
    // the body's request_id is the same key
    await request(app).post('/api/runs').set(auth).send({ ...body, request_id: 'k-1' }).expect(200);
    expect(await published(0)).toEqual([]);

    const run = (await storeOver(platform.docs).runs.get(first.body.run_id)) as RunDoc;
    expect(run).toMatchObject({ tags: { team: 'risk' }, training: { algorithm: 'gbdt', sample: 500 }, plan: { algorithm: 'gbdt', sample: 500, params: { num_leaves: 15 } } });

    // without a key, each call is a run of its own, on the dataset version asked for
    const a = await request(app).post('/api/runs').set(auth).send({ ...body, dataset_version: 'd1' }).expect(201);
    const b = await request(app).post('/api/runs').set(auth).send({ ...body, dataset_version: 'd1' }).expect(201);
    expect(a.body.run_id).not.toBe(b.body.run_id);
    expect((await published(2)).map((r) => r.dataset_version)).toEqual(['d1', 'd1']);
  });
});

describe('GET /api/runs', () => {
  const minute = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
  async function seed() {
    const store = storeOver(platform.docs);
    await store.inTransaction(async (tx) => {
      for (let i = 1; i <= 7; i++) {
        tx.runs.create(
          runDoc(`r${i}`, i, {
            status: i % 2 ? 'succeeded' : 'failed',
            plan: { algorithm: i <= 4 ? 'gbdt' : 'mlp' } as RunDoc['plan'],
            ...(i % 3 === 0 && { tags: { team: 'risk', env: 'prod' } }),
            ...(i === 7 && { model: 'churn' }),
          }),
        );
      }
      // two runs created in the same millisecond: the id breaks the tie
      tx.runs.create(runDoc('r8a', 8, { status: 'cancelled', created_at: minute(8) }));
      tx.runs.create(runDoc('r8b', 8, { status: 'cancelled', created_at: minute(8) }));
    });
  }
  const ids = (runs: RunView[]) => runs.map((r) => r.id);

  it('pages newest first with a cursor that inserts do not shift, to the end', async () => {
    await seed();
    const page1 = (await request(app).get('/api/runs?limit=3').expect(200)).body;
    expect(ids(page1.runs)).toEqual(['r8b', 'r8a', 'r7']);
    expect(page1.next_page_token).toEqual(expect.any(String));
    // a run created between two pages is on no page that follows
    await storeOver(platform.docs).inTransaction(async (tx) => tx.runs.create(runDoc('r9', 9)));
    const page2 = (await request(app).get(`/api/runs?limit=3&page_token=${page1.next_page_token}`).expect(200)).body;
    expect(ids(page2.runs)).toEqual(['r6', 'r5', 'r4']);
    const page3 = (await request(app).get(`/api/runs?limit=3&page_token=${page2.next_page_token}`).expect(200)).body;
    expect(ids(page3.runs)).toEqual(['r3', 'r2', 'r1']);
    const after = (await request(app).get(`/api/runs?limit=3&page_token=${page3.next_page_token}`).expect(200)).body;
    expect(after).toEqual({ runs: [], next_page_token: null });
    // the default page holds them all, newest first
    expect(ids((await request(app).get('/api/runs').expect(200)).body.runs)).toEqual(['r9', 'r8b', 'r8a', 'r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1']);
  });

  it('filters by model, status, algorithm, tags and since, and pages the filtered list', async () => {
    await seed();
    const get = async (query: string) => (await request(app).get(`/api/runs?${query}`).expect(200)).body as { runs: RunView[]; next_page_token: string | null };
    expect(ids((await get('model=churn')).runs)).toEqual(['r7']);
    expect(ids((await get('status=succeeded')).runs)).toEqual(['r7', 'r5', 'r3', 'r1']);
    expect(ids((await get('status=succeeded&algorithm=gbdt')).runs)).toEqual(['r3', 'r1']);
    expect(ids((await get('tag=team:risk')).runs)).toEqual(['r6', 'r3']);
    expect(ids((await get('tag=team:risk&tag=env:prod&status=failed')).runs)).toEqual(['r6']);
    expect(ids((await get('tag=team:ops')).runs)).toEqual([]);
    expect(ids((await get(`since=${minute(6)}`)).runs)).toEqual(['r8b', 'r8a', 'r7', 'r6']);
    expect(ids((await get(`model=fraud&since=${minute(6)}&status=cancelled`)).runs)).toEqual(['r8b', 'r8a']);
    const first = await get('status=succeeded&limit=2');
    expect(ids(first.runs)).toEqual(['r7', 'r5']);
    const second = await get(`status=succeeded&limit=2&page_token=${first.next_page_token}`);
    expect(ids(second.runs)).toEqual(['r3', 'r1']);
  });

  it('refuses what does not parse, naming the parameter', async () => {
    for (const [query, field] of [['status=done', 'status'], ['limit=0', 'limit'], ['limit=abc', 'limit'], ['since=yesterday', 'since'], ['tag=nocolon', 'tag'], ['page_token=forged', 'page_token']]) {
      const res = await request(app).get(`/api/runs?${query}`).expect(400);
      expect(res.body.error.field).toBe(field);
    }
  });
});

describe('POST /api/runs/:id/cancel', () => {
  it('cancels a queued run with who and why; a finished run is a 409 with its status', async () => {
    const store = storeOver(platform.docs);
    await store.inTransaction(async (tx) => {
      tx.runs.create(runDoc('waiting', 1));
      tx.runs.create(runDoc('done', 2, { status: 'succeeded', attempt: 1 }));
    });
    await request(app).post('/api/runs/waiting/cancel').send({ reason: 'wrong data' }).expect(401);
    const res = await request(app).post('/api/runs/waiting/cancel').set(auth).send({ reason: 'wrong data' }).expect(200);
    expect(res.body).toMatchObject({ id: 'waiting', status: 'cancelled', cancelled_by: 'admin-api', cancel_reason: 'wrong data', finished_at: expect.any(String) });
    const again = await request(app).post('/api/runs/waiting/cancel').set(auth).expect(409);
    expect(again.body.error).toMatchObject({ code: 'failed_precondition', status: 'cancelled' });
    const finished = await request(app).post('/api/runs/done/cancel').set(auth).expect(409);
    expect(finished.body.error).toMatchObject({ status: 'succeeded' });
    expect(finished.body.error.message).toMatch(/already succeeded/);
    await request(app).post('/api/runs/nope/cancel').set(auth).expect(404);
    expect((await store.runs.get('done'))!.status).toBe('succeeded');
  });
});

describe('GET /api/runs/:id/logs', () => {
  it("says the run has no execution yet, and is a 404 for a run that does not exist", async () => {
    await storeOver(platform.docs).inTransaction(async (tx) => tx.runs.create(runDoc('waiting', 1)));
    const res = await request(app).get('/api/runs/waiting/logs').expect(200);
    expect(res.body).toEqual({ run_id: 'waiting', status: 'queued', finished: false, attempt: 0, execution_id: null, log: null });
    await request(app).get('/api/runs/nope/logs').expect(404);
    await request(app).get('/api/runs/waiting/logs?offset=-1').expect(400);
  });
});
