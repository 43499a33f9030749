import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type RunSlotFreed, type TrainingRequested } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOver } from '../../../../shared/pipeline/store';
import { requestTraining } from '../../../../shared/pipeline/usecases/on_training_requested';
import { completeTraining } from '../../../../shared/pipeline/usecases/on_training_completed';
import { launchOnFreedSlot } from '../../../../shared/pipeline/usecases/on_run_slot_freed';
import { createPlatform } from '../../../../shared/platform';
import type { BusMessage, Platform } from '../../../../shared/platform/ports';
import { jobFailure } from '../../../support/job_failure';
import { RecordingLauncher } from '../../../support/recording_launcher';

let home: string;
let platform: Platform;
// On Google Cloud only onTrainingRequested's identity may run the job: what it recorded says which context launched.
let launcher: RecordingLauncher;

function contextWith(env: Record<string, string>): Context {
  return { config: configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '1', ...env }), log: createLogger('silent'), platform };
}

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-dispatch-'));
  launcher = new RecordingLauncher();
  platform = { ...createPlatform(configFor(home, { MLOOP_LOG_LEVEL: 'silent' })), jobs: launcher };
  await platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
  await platform.bus.ensureSubscription(TOPICS.runSlotFreed, 'probe-freed');
  for (const version of ['a', 'b']) {
    await storeOver(platform.docs).datasets.createOrGet({
      model: 'fraud',
      version,
      status: 'accepted',
      object: { bucket: 'data', name: `datasets/fraud/${version}.csv`, generation: '1', md5Hash: 'x', size: 1 },
      created_at: new Date().toISOString(),
    });
  }
});

afterEach(async () => {
  await platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const request = (version: string): TrainingRequested => ({
  request_id: `upload:fraud:${version}`,
  model: 'fraud',
  dataset_version: version,
  reason: 'upload',
  requested_at: new Date().toISOString(),
});

async function published<T = TrainingRequested>(count: number, probe = 'probe'): Promise<T[]> {
  const received: BusMessage[] = [];
  const subscription = await platform.bus.subscribe(probe, async (message) => void received.push(message));
  const deadline = Date.now() + 5000;
  while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 200));
  await subscription.close();
  return received.map((message) => message.data as T);
}

describe('a slot that frees up', () => {
  test('a completion announces the freed slot and launches nothing; the launcher, on that message, starts the next queued run', async () => {
    const ctx = contextWith({});
    const first = await requestTraining(ctx, request('a'));
    const second = await requestTraining(ctx, request('b'));
    expect(launcher.launched).toEqual([first.runId]);

    await completeTraining(ctx, jobFailure(first.runId));
    expect(launcher.launched).toEqual([first.runId]);
    const [freed, ...more] = await published<RunSlotFreed>(1, 'probe-freed');
    expect(more).toEqual([]);
    expect(freed).toMatchObject({ run_id: first.runId, model: 'fraud', reason: `run ${first.runId} failed` });
    expect(await published(0)).toEqual([]);

    expect(await launchOnFreedSlot(ctx, freed)).toEqual([second.runId]);
    expect(launcher.launched).toEqual([first.runId, second.runId]);
    expect((await storeOver(platform.docs).runs.get(second.runId))!.status).toBe('running');
  });

  test('a freed-slot message when no slot is free, or nothing is queued, starts nothing', async () => {
    const ctx = contextWith({});
    const first = await requestTraining(ctx, request('a'));
    await requestTraining(ctx, request('b'));
    const event = { reason: 'test', freed_at: new Date().toISOString() };
    expect(await launchOnFreedSlot(ctx, event)).toEqual([]);
    expect(launcher.launched).toEqual([first.runId]);
    const empty = contextWith({ MLOOP_MAX_PARALLEL_JOBS: '5' });
    expect(await launchOnFreedSlot(empty, event)).toHaveLength(1);
    expect(await launchOnFreedSlot(empty, event)).toEqual([]);
  });

  test('a training request launches at once while a slot is free and publishes nothing', async () => {
    const ctx = contextWith({});
    const { runId } = await requestTraining(ctx, request('a'));
    expect(launcher.launched).toEqual([runId]);
    expect(await published(0)).toEqual([]);
    expect(await published(0, 'probe-freed')).toEqual([]);
  });
});
