import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, TrainingRequested } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import { writeFraudCsv } from '../../../../shared/data/synthetic';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOf } from '../../../../shared/pipeline/store';
import { ingestObject, tagsObjectName } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../../../shared/pipeline/usecases/on_training_requested';
import { requestManualRetrain } from '../../../../shared/pipeline/usecases/manual_retrain';
import { runView } from '../../../../shared/pipeline/read_models/listings';
import { createPlatform } from '../../../../shared/platform';
import { pushDataset } from '../../../../cli/push';

/** Tags from `mloop push --tag` and `mloop retrain --tag` to the run document, on SQLite and folders. */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-tags-'));
// a job that exits at once: only the run documents are under test
const noJob = path.join(home, 'no-job.js');
fs.writeFileSync(noJob, '');
const config = configFor(home, { MLOOP_JOB_SCRIPT: noJob });
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
const received: TrainingRequested[] = [];

beforeAll(async () => {
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe-tags');
});
afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function nextRequest(): Promise<TrainingRequested> {
  const before = received.length;
  const subscription = await ctx.platform.bus.subscribe('probe-tags', async (message) => {
    received.push(TrainingRequested.parse(message.data));
  });
  const deadline = Date.now() + 10_000;
  while (received.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  await subscription.close();
  if (received.length === before) throw new Error('no training request arrived');
  return received[received.length - 1];
}

describe('tags on runs', () => {
  it('carries push --tag from the upload to the run it starts, and a later push without tags drops them', async () => {
    const file = path.join(home, 'fraud.csv');
    await writeFraudCsv(file, { rows: 1500, seed: 3 });
    const pushed = await pushDataset(ctx, file, { model: 'fraud', tags: { experiment: 'baseline', owner: 'alice' } });
    expect(await ctx.platform.objects.stat(config.dataBucket, tagsObjectName(pushed.object.name))).not.toBeNull();
    const ingested = await ingestObject(ctx, { bucket: pushed.object.bucket, name: pushed.object.name, generation: pushed.object.generation });
    expect(ingested.outcome).toBe('accepted');
    const request = await nextRequest();
    expect(request.tags).toEqual({ experiment: 'baseline', owner: 'alice' });
    const created = await requestTraining(ctx, request);
    const run = await storeOf(ctx).runs.get(created.runId);
    expect(run?.tags).toEqual({ experiment: 'baseline', owner: 'alice' });
    expect(runView(run!).tags).toEqual({ experiment: 'baseline', owner: 'alice' });

    await pushDataset(ctx, file, { model: 'fraud' });
    expect(await ctx.platform.objects.stat(config.dataBucket, tagsObjectName(pushed.object.name))).toBeNull();
  });

  it('carries retrain --tag on the training request to the run', async () => {
    await requestManualRetrain(ctx, 'fraud', 'cli:test', { reason: 'new encoder', tags: { experiment: 'encoder-v2' } });
    const request = await nextRequest();
    expect(request).toMatchObject({ reason: 'manual', tags: { experiment: 'encoder-v2' } });
    const run = await storeOf(ctx).runs.get((await requestTraining(ctx, request)).runId);
    expect(run).toMatchObject({ reason: 'manual', note: 'new encoder', tags: { experiment: 'encoder-v2' } });
  });

  it('leaves out a tags object that does not parse, and still trains', async () => {
    const file = path.join(home, 'other.csv');
    await writeFraudCsv(file, { rows: 1500, seed: 4 });
    const name = 'datasets/fraud/other.csv';
    await ctx.platform.objects.put(config.dataBucket, tagsObjectName(name), JSON.stringify({ 'bad key': 'x' }));
    const meta = await ctx.platform.objects.put(config.dataBucket, name, fs.readFileSync(file));
    expect((await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation })).outcome).toBe('accepted');
    const request = await nextRequest();
    expect(request.tags).toBeUndefined();
  });
});
