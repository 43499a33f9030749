import express from 'express';
import { parquetWriteBuffer } from 'hyparquet-writer';
import request from 'supertest';
import { createScoreHandler } from '../../../../functions/score_handler';
import { createAuthenticator } from '../../../../shared/serving/authenticate';
import { ScoringMetrics } from '../../../../shared/serving/metrics';
import { createScoringRouter } from '../../../../shared/serving/router';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { labelsSince, parseFeedbackBody, recordFeedback } from '../../../../shared/pipeline/usecases/feedback';
import { onDataUploaded } from '../../../../shared/pipeline/handlers';
import type { ModelServer } from '../../../../shared/serving/model_server';
import { MONITORING_COLLECTIONS, type FeedbackDoc } from '../../../../shared/pipeline/store/monitoring_documents';
import type { Clock } from '../../../../shared/platform/ports';
import { scratchContextEachTest } from '../../../support/scratch_context';

let ctx: Context;
let now = new Date('2026-03-01T10:00:00.000Z');
const clock: Clock = { now: () => now, sleep: async () => {} };

scratchContextEachTest('mloop-feedback-', (c) => {
  ctx = c;
}, { platform: (p) => ({ ...p, clock }) });

const feedbackDocs = async () =>
  (await ctx.platform.docs.query<FeedbackDoc>(MONITORING_COLLECTIONS.feedback)).map(({ id, data }) => [id, data.label, data.source]).sort();

describe('feedback bodies', () => {
  test('one label or many; index defaults to 0; true/false read as 1/0; a regression sends its value', () => {
    expect(parseFeedbackBody({ request_id: 'r-0', label: 231.5 })).toEqual([{ request_id: 'r-0', index: 0, label: 231.5 }]);
    expect(parseFeedbackBody({ request_id: 'r-1', label: 1 })).toEqual([{ request_id: 'r-1', index: 0, label: 1 }]);
    expect(parseFeedbackBody([{ request_id: 'r-2', index: 3, label: false }, { request_id: 'a.b:c', label: true }])).toEqual([
      { request_id: 'r-2', index: 3, label: 0 },
      { request_id: 'a.b:c', index: 0, label: 1 },
    ]);
  });

  test('what is wrong is said, item by item', () => {
    expect(() => parseFeedbackBody({ request_id: 'r', label: 'high' })).toThrow(/label/);
    expect(() => parseFeedbackBody([{ request_id: 'ok', label: 1 }, { request_id: 'has space', label: 1 }])).toThrow(/\[1\] request_id/);
    expect(() => parseFeedbackBody({ request_id: 'r', label: 1, index: -1 })).toThrow(/index/);
    expect(() => parseFeedbackBody({ request_id: 'r', label: 1, extra: 1 })).toThrow(/extra/);
    expect(() => parseFeedbackBody([])).toThrow(/at least one/);
  });
});

test('labels are stored once per (request, index), a correction replaces the first, and read back by arrival time', async () => {
  await recordFeedback(ctx, [{ request_id: 'r1', index: 0, label: 0 }, { request_id: 'r1', index: 1, label: 1 }], 'http');
  now = new Date('2026-03-01T12:00:00.000Z');
  await recordFeedback(ctx, [{ request_id: 'r1', index: 0, label: 1 }], 'http');
  expect(await feedbackDocs()).toEqual([
    ['r1#0', 1, 'http'],
    ['r1#1', 1, 'http'],
  ]);
  expect([...(await labelsSince(ctx, new Date('2026-03-01T11:00:00.000Z')))]).toEqual([['r1#0', 1]]);
});

test('a CSV under feedback/<model>/ in the data bucket is recorded through onDataUploaded; bad rows are skipped', async () => {
  const csv = 'index,request_id,label\n0,a1,1\n2,a2,0\n,a3,1\n0,bad id,1\n0,a4,yes\n';
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, 'feedback/fraud/day1.csv', csv);
  await onDataUploaded(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  expect(await feedbackDocs()).toEqual([
    ['a1#0', 1, 'feedback/fraud/day1.csv'],
    ['a2#2', 0, 'feedback/fraud/day1.csv'],
    ['a3#0', 1, 'feedback/fraud/day1.csv'],
  ]);
  // A file without the needed columns is refused as a whole, and acknowledged: retrying cannot fix it.
  const bad = await ctx.platform.objects.put(ctx.config.dataBucket, 'feedback/fraud/bad.csv', 'id,label\nx,1\n');
  await expect(onDataUploaded(ctx, { bucket: bad.bucket, name: bad.name, generation: bad.generation })).resolves.toBeUndefined();
  expect(await feedbackDocs()).toHaveLength(3);
});

test('a Parquet file under feedback/<model>/ is recorded the same way; boolean labels read as 1/0, nulls are rejected rows', async () => {
  const bytes = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'request_id', data: ['p1', 'p2', 'p3'], type: 'STRING' },
        { name: 'index', data: [0, 4, 0], type: 'INT32' },
        { name: 'label', data: [true, false, null], type: 'BOOLEAN' },
      ],
    }),
  );
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, 'feedback/fraud/day2.parquet', bytes);
  await onDataUploaded(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  expect(await feedbackDocs()).toEqual([
    ['p1#0', 1, 'feedback/fraud/day2.parquet'],
    ['p2#4', 0, 'feedback/fraud/day2.parquet'],
  ]);
});

describe('POST /feedback on the score function', () => {
  const app = (apiKey?: string) => {
    const server = express();
    server.use(express.raw({ type: '*/*' }));
    const noModels = async () => ({}) as ModelServer;
    const router = createScoringRouter({
      server: noModels,
      log: createLogger('silent'),
      authenticate: createAuthenticator(apiKey, { allowed: [] }),
      metrics: new ScoringMetrics(() => ({})),
      maxBodyBytes: 1 << 20,
      recordFeedback: (items) => recordFeedback(ctx, items, 'http'),
    });
    server.use(createScoreHandler(router));
    return server;
  };

  test('records labels and answers how many', async () => {
    const response = await request(app()).post('/feedback').send([{ request_id: 'q1', label: 1 }, { request_id: 'q2', index: 1, label: 0 }]);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ recorded: 2 });
    expect(await feedbackDocs()).toEqual([
      ['q1#0', 1, 'http'],
      ['q2#1', 0, 'http'],
    ]);
  });

  test('bad bodies are 400s with the reason; the API key is checked; GET is not a route', async () => {
    const bad = await request(app()).post('/feedback').send({ request_id: 'q1' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/label/);
    expect((await request(app('k3y')).post('/feedback').send({ request_id: 'q1', label: 1 })).status).toBe(401);
    expect((await request(app('k3y')).post('/feedback').set('authorization', 'Bearer k3y').send({ request_id: 'q1', label: 1 })).status).toBe(200);
    expect((await request(app()).get('/feedback')).status).toBe(404);
  });
});
