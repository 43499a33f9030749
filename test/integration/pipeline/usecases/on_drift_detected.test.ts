import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type DriftDetected, type TrainingRequested } from '../../../../shared/core/events';
import { modelVersionId } from '../../../../shared/core/ids';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { DATASET_CONFIG_VERSION, parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { COLLECTIONS, type DatasetDoc } from '../../../../shared/pipeline/store/documents';
import { storeOf } from '../../../../shared/pipeline/store';
import { recordFeedback } from '../../../../shared/pipeline/usecases/feedback';
import { onDriftDetected, onTrainingRequested } from '../../../../shared/pipeline/handlers';
import { MONITORING_COLLECTIONS } from '../../../../shared/pipeline/store/monitoring_documents';
import { PredictionLog } from '../../../../shared/serving/prediction_log';
import { driftRequestId } from '../../../../shared/pipeline/usecases/on_drift_detected';
import { createPlatform } from '../../../../shared/platform';
import type { BusMessage, Clock } from '../../../../shared/platform/ports';
import { RecordingLauncher } from '../../../support/recording_launcher';

const SUBSCRIPTION = 'test-training-requested';

let home: string;
let ctx: Context;
let launcher: RecordingLauncher;
let now: Date;
const clock: Clock = { now: () => now, sleep: async () => {} };
const HOUR = 3_600_000;

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-retrain-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '5' });
  launcher = new RecordingLauncher();
  now = new Date('2025-01-05T00:00:00.000Z');
  ctx = { config, log: createLogger('silent'), platform: { ...createPlatform(config), jobs: launcher, clock } };
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, SUBSCRIPTION);
});

afterEach(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function addDataset(model: string, version: string, status: DatasetDoc['status'], createdAt: string, mloopJson?: unknown) {
  const doc: DatasetDoc = {
    model,
    version,
    status,
    object: { bucket: 'data', name: `datasets/${model}/${version}.csv`, generation: '1', md5Hash: 'x', size: 10 },
    ...(mloopJson === undefined ? {} : { config: parseDatasetConfig(mloopJson), config_version: DATASET_CONFIG_VERSION }),
    created_at: createdAt,
  };
  await storeOf(ctx).datasets.createOrGet(doc);
}

/** Everything published on training-requested so far, taken off the test's subscription. */
async function drainRequests(expected: number): Promise<TrainingRequested[]> {
  const received: BusMessage[] = [];
  const subscription = await ctx.platform.bus.subscribe(SUBSCRIPTION, async (message) => void received.push(message));
  const deadline = Date.now() + 5000;
  while (received.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  // A little longer, so that a message too many would be seen too.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await subscription.close();
  return received.map((message) => message.data as TrainingRequested);
}

const drift: DriftDetected = { model: 'fraud', report_id: 'rep-42', reason: 'drift', detected_at: '2025-01-05T00:00:00.000Z' };

describe('onDriftDetected', () => {
  test('requests training of the named model on its newest accepted dataset, with the reason of the report', async () => {
    await addDataset('fraud', 'old', 'accepted', '2025-01-01T00:00:00.000Z');
    await addDataset('fraud', 'new', 'accepted', '2025-01-02T00:00:00.000Z');
    await addDataset('fraud', 'broken', 'rejected', '2025-01-03T00:00:00.000Z');
    await addDataset('other', 'newest', 'accepted', '2025-01-04T00:00:00.000Z');

    await onDriftDetected(ctx, { ...drift, reason: 'performance' });

    const [request, ...more] = await drainRequests(1);
    expect(more).toEqual([]);
    expect(request).toMatchObject({
      request_id: driftRequestId('fraud', 'rep-42'),
      model: 'fraud',
      dataset_version: 'new',
      reason: 'performance',
      requested_by: 'report:rep-42',
    });
  });

  test('a redelivered report leads to one run', async () => {
    await addDataset('fraud', 'v1', 'accepted', '2025-01-01T00:00:00.000Z');
    await onDriftDetected(ctx, drift);
    await onDriftDetected(ctx, drift);

    const requests = await drainRequests(2);
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((r) => r.request_id)).size).toBe(1);
    for (const request of requests) await onTrainingRequested(ctx, request);

    const runs = await storeOf(ctx).runs.list();
    expect(runs.map((run) => [run.model, run.dataset_version, run.reason])).toEqual([['fraud', 'v1', 'drift']]);
    expect(launcher.launched).toEqual([runs[0].id]);
  });

  test('another report within the cooldown (6 h by default) is not another run; after it, it is', async () => {
    await addDataset('fraud', 'v1', 'accepted', '2025-01-01T00:00:00.000Z');
    await onDriftDetected(ctx, drift);
    now = new Date(now.getTime() + 5.9 * HOUR);
    await onDriftDetected(ctx, { ...drift, report_id: 'rep-43' });
    now = new Date(now.getTime() + 0.2 * HOUR);
    await onDriftDetected(ctx, { ...drift, report_id: 'rep-44' });
    const requests = await drainRequests(2);
    expect(requests.map((r) => r.request_id)).toEqual([driftRequestId('fraud', 'rep-42'), driftRequestId('fraud', 'rep-44')]);
    for (const request of requests) await onTrainingRequested(ctx, request);
    expect(await storeOf(ctx).runs.list()).toHaveLength(2);
  });

  test('reports racing each other within the cooldown start one run; the cooldown comes from the mloop.json stored with production', async () => {
    await addDataset('fraud', 'v1', 'accepted', '2025-01-01T00:00:00.000Z');
    await Promise.all(['a', 'b', 'c'].map((id) => onDriftDetected(ctx, { ...drift, report_id: id })));
    expect(await drainRequests(1)).toHaveLength(1);

    // The live file is what the next upload will be trained and monitored with, not the model in production.
    const config = { monitoring: { retrain_cooldown_hours: 0.5 } };
    await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/fraud/mloop.json', JSON.stringify(config));
    now = new Date(now.getTime() + 0.6 * HOUR);
    await onDriftDetected(ctx, { ...drift, report_id: 'd' });
    expect(await drainRequests(0)).toEqual([]);

    // Production trained on a dataset ingested with it: its cooldown of half an hour applies.
    await addDataset('fraud', 'v2', 'accepted', '2025-01-02T00:00:00.000Z', config);
    await ctx.platform.docs.set(COLLECTIONS.models, 'fraud', { name: 'fraud', production_version: 'v1', previous_version: null, next_version: 2, updated_at: now.toISOString() });
    await ctx.platform.docs.set(COLLECTIONS.versions, modelVersionId('fraud', 'v1'), { model: 'fraud', version: 'v1', stage: 'production', dataset_version: 'v2' });
    await onDriftDetected(ctx, { ...drift, report_id: 'e' });
    expect((await drainRequests(1)).map((r) => r.requested_by)).toEqual(['report:e']);
  });

  test('labels fed back in the report window join their predictions and are appended to the newest upload', async () => {
    const csv = 'step,type,amount,verdict\n1,TRANSFER,100.5,No\n2,"CASH, OUT",20,Yes\n';
    const object = await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/fraud/a.csv', csv);
    const base: DatasetDoc = {
      model: 'fraud',
      version: 'base',
      status: 'accepted',
      object: { bucket: object.bucket, name: object.name, generation: object.generation, md5Hash: object.md5Hash, size: object.size },
      header: ['step', 'type', 'amount', 'verdict'],
      config: parseDatasetConfig({ target: 'verdict', positive_class: 'Yes' }),
      created_at: '2025-01-01T00:00:00.000Z',
    };
    await storeOf(ctx).datasets.createOrGet(base);
    now = new Date('2025-01-04T12:00:00.000Z');
    const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 1000 });
    log.record('r1', 'fraud', 'v1', [{ step: 3, type: 'PAYMENT', amount: 7 }], [{ score: 0.1, label: 0 }]);
    log.record('r2', 'fraud', 'v1', [{ step: 4, type: 'A "quoted", one', amount: 8 }, { step: 5, type: 'DEBIT', amount: 9 }], [{ score: 0.9, label: 1 }, { score: 0.2, label: 0 }]);
    log.record('r3', 'fraud', 'v1', [{ step: 6, type: 'DEBIT', amount: 10 }], [{ score: 0.3, label: 0 }]);
    await log.stop();
    now = new Date('2025-01-04T13:00:00.000Z');
    await recordFeedback(ctx, [{ request_id: 'r1', index: 0, label: 1 }, { request_id: 'r2', index: 0, label: 0 }, { request_id: 'elsewhere', index: 0, label: 1 }], 'http');
    await ctx.platform.docs.create(MONITORING_COLLECTIONS.reports, 'rep-42', {
      id: 'rep-42',
      model: 'fraud',
      window: { from: '2025-01-04T00:00:00.000Z', to: '2025-01-05T00:00:00.000Z' },
    });
    now = new Date('2025-01-05T00:00:00.000Z');

    await onDriftDetected(ctx, drift);
    const [request] = await drainRequests(1);
    expect(request.dataset_version).not.toBe('base');
    const derived = (await storeOf(ctx).datasets.get('fraud', request.dataset_version))!;
    expect(derived).toMatchObject({ status: 'accepted', header: base.header, config: base.config, derived_from: { dataset_version: 'base', report_id: 'rep-42', feedback_rows: 2 } });
    const text = (await ctx.platform.objects.get(derived.object.bucket, derived.object.name)).toString('utf8');
    expect(text).toBe(csv + '3,PAYMENT,7,Yes\n4,"A ""quoted"", one",8,No\n');
    expect(derived.object.name).toBe(`retrain/fraud/${request.dataset_version}.csv`);

    // The next drift retrains on the upload again (plus its own window's labels), not on a derived file.
    now = new Date(now.getTime() + 7 * HOUR);
    await onDriftDetected(ctx, { ...drift, report_id: 'no-such-report' });
    expect((await drainRequests(1)).map((r) => r.dataset_version)).toEqual(['base']);
  });

  test('a model without an accepted dataset, or a malformed event, is acknowledged without a request', async () => {
    await addDataset('fraud', 'bad', 'rejected', '2025-01-01T00:00:00.000Z');
    await expect(onDriftDetected(ctx, drift)).resolves.toBeUndefined();
    await expect(onDriftDetected(ctx, { ...drift, model: 'unknown' })).resolves.toBeUndefined();
    await expect(onDriftDetected(ctx, { model: 'fraud', reason: 'drift' })).resolves.toBeUndefined();
    await expect(onDriftDetected(ctx, { ...drift, reason: 'boredom' })).resolves.toBeUndefined();
    expect(await drainRequests(0)).toEqual([]);
  });
});
