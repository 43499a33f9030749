import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { TOPICS, type DriftDetected, type TrainingRequested } from '../../shared/core/events';
import { datasetId } from '../../shared/core/ids';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { COLLECTIONS, type DatasetDoc, type RunDoc } from '../../shared/pipeline/documents';
import { onDriftDetected, onTrainingRequested } from '../../shared/pipeline/handlers';
import { driftRequestId } from '../../shared/pipeline/retrain';
import { createPlatform } from '../../shared/platform';
import type { BusMessage, Execution, JobLauncher } from '../../shared/platform/ports';

/** Records launches instead of starting processes: these tests are about which run is requested. */
class RecordingLauncher implements JobLauncher {
  readonly launched: string[] = [];
  async launch(spec: { runId: string }): Promise<Execution> {
    this.launched.push(spec.runId);
    return { id: `exec-${this.launched.length}`, state: 'running', startedAt: new Date().toISOString() };
  }
  async status(): Promise<Execution | null> {
    return null;
  }
  async cancel(): Promise<void> {}
  async close(): Promise<void> {}
}

const SUBSCRIPTION = 'test-training-requested';

let home: string;
let ctx: Context;
let launcher: RecordingLauncher;

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-retrain-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '5' });
  launcher = new RecordingLauncher();
  ctx = { config, log: createLogger('silent'), platform: { ...createPlatform(config), jobs: launcher } };
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, SUBSCRIPTION);
});

afterEach(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function addDataset(model: string, version: string, status: DatasetDoc['status'], createdAt: string) {
  const doc: DatasetDoc = {
    model,
    version,
    status,
    object: { bucket: 'data', name: `datasets/${model}/${version}.csv`, generation: '1', md5Hash: 'x', size: 10 },
    created_at: createdAt,
  };
  await ctx.platform.docs.create(COLLECTIONS.datasets, datasetId(model, version), { ...doc });
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

    const runs = await ctx.platform.docs.query<RunDoc>(COLLECTIONS.runs);
    expect(runs.map(({ data }) => [data.model, data.dataset_version, data.reason])).toEqual([['fraud', 'v1', 'drift']]);
    expect(launcher.launched).toEqual([runs[0].id]);
  });

  test('another report on the same model is another run', async () => {
    await addDataset('fraud', 'v1', 'accepted', '2025-01-01T00:00:00.000Z');
    await onDriftDetected(ctx, drift);
    await onDriftDetected(ctx, { ...drift, report_id: 'rep-43' });
    for (const request of await drainRequests(2)) await onTrainingRequested(ctx, request);
    expect(await ctx.platform.docs.query(COLLECTIONS.runs)).toHaveLength(2);
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
