import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type RunSlotFreed, type TrainingRequested } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOver } from '../../../../shared/pipeline/store';
import type { RunDoc } from '../../../../shared/pipeline/store/documents';
import { cancelRun } from '../../../../shared/pipeline/usecases/cancel_run';
import { launchOnFreedSlot } from '../../../../shared/pipeline/usecases/on_run_slot_freed';
import { requestTraining } from '../../../../shared/pipeline/usecases/on_training_requested';
import { reconcileRuns } from '../../../../shared/pipeline/usecases/reconcile_runs';
import { createPlatform } from '../../../../shared/platform';
import { isAlive } from '../../../../shared/platform/local/pids';
import type { BusMessage, Platform } from '../../../../shared/platform/ports';
import { writeTestJob } from '../../../contract/local_fixtures';
import { startFakeCloudRun, type FakeCloudRun } from '../../../fakes/cloud_run_server';

jest.setTimeout(60_000);

const PROJECT = 'mloop-cancel-test';
const REGION = 'europe-west4';
// The job sleeps a minute: long enough to be cancelled mid-way, never long enough to finish here.
const SLEEPING_JOB = { MLOOP_TEST_JOB: 'sleep:60000' };

interface Setup {
  ctx: Context;
  /** Whether the cancel stops the job itself (mloop up) or leaves it to the launcher's run-slot-freed (the dashboard function). */
  stopExecution: boolean;
  pidOf(executionId: string): number;
  close(): Promise<void>;
}

let fake: FakeCloudRun;
let jobDir: string;

beforeAll(async () => {
  jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-cancel-job-'));
  fake = await startFakeCloudRun({
    project: PROJECT,
    region: REGION,
    job: { name: 'mloop-train', script: writeTestJob(jobDir), env: SLEEPING_JOB, timeoutSeconds: 600 },
    service: { name: 'mloop-score', image: 'europe-docker.pkg.dev/p/mloop/score:1', env: { MLOOP_PLATFORM: 'gcp' } },
  });
});

afterAll(async () => {
  await fake.close();
  fs.rmSync(jobDir, { recursive: true, force: true });
  expect(fake.unexpected).toEqual([]);
});

/** The local stack's parts: SQLite documents and queue, the job as a child process of this one. */
function localSetup(home: string): Setup {
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '1', MLOOP_JOB_SCRIPT: writeTestJob(home), ...SLEEPING_JOB });
  const platform = createPlatform(config, createLogger('silent'));
  const db = new Database(path.join(home, 'mloop.db'), { readonly: true });
  return {
    ctx: { config, log: createLogger('silent'), platform },
    stopExecution: true,
    pidOf: (id) => (db.prepare('SELECT pid FROM executions WHERE id = ?').get(id) as { pid: number }).pid,
    close: async () => {
      db.close();
      await platform.close();
    },
  };
}

/** The same documents and queue, with Cloud Run Jobs on the fake Admin API, as the launcher function has them. */
function cloudRunSetup(home: string): Setup {
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '1' });
  const local = createPlatform(config, createLogger('silent'));
  const gcp = createPlatform(
    configFor(home, { MLOOP_PLATFORM: 'gcp', GOOGLE_CLOUD_PROJECT: PROJECT, GOOGLE_CLOUD_REGION: REGION, MLOOP_RUN_ENDPOINT: fake.endpoint, MLOOP_LOG_LEVEL: 'silent' }),
    createLogger('silent'),
  );
  const platform: Platform = { ...local, jobs: gcp.jobs };
  return {
    ctx: { config, log: createLogger('silent'), platform },
    stopExecution: false,
    pidOf: (id) => fake.executions.get(`${fake.jobName}/executions/${id}`)!.tasks[0].process.pid!,
    close: async () => {
      await local.close();
      await gcp.close();
    },
  };
}

const request = (n: number): TrainingRequested => ({
  request_id: `manual:fraud:${n}`,
  model: 'fraud',
  dataset_version: 'd1',
  reason: 'manual',
  requested_at: new Date().toISOString(),
});

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each([
  ['a local child process', localSetup],
  ['a Cloud Run execution (fake Admin API)', cloudRunSetup],
])('cancelling runs whose job is %s', (_name, makeSetup) => {
  let home: string;
  let setup: Setup;
  let freed: RunSlotFreed[];

  beforeEach(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-cancel-'));
    setup = makeSetup(home);
    const { bus, docs } = setup.ctx.platform;
    await bus.ensureSubscription(TOPICS.runSlotFreed, 'launcher');
    freed = [];
    await storeOver(docs).datasets.createOrGet({
      model: 'fraud',
      version: 'd1',
      status: 'accepted',
      object: { bucket: 'data', name: 'datasets/fraud/d1.csv', generation: '1', md5Hash: 'x', size: 1 },
      created_at: new Date().toISOString(),
    });
  });

  afterEach(async () => {
    await setup.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  /** What onRunSlotFreed (the launcher) does with the slot-freed messages published so far. */
  async function launcherHandlesFreedSlots(): Promise<string[]> {
    const received: BusMessage[] = [];
    const subscription = await setup.ctx.platform.bus.subscribe('launcher', async (message) => void received.push(message));
    await until('a run-slot-freed message', async () => received.length > 0);
    await subscription.close();
    const started: string[] = [];
    for (const message of received) {
      freed.push(message.data as RunSlotFreed);
      started.push(...(await launchOnFreedSlot(setup.ctx, message.data as RunSlotFreed)));
    }
    return started;
  }

  const runOf = async (id: string) => (await storeOver(setup.ctx.platform.docs).runs.get(id)) as RunDoc;
  const actor = { by: 'admin-api', reason: 'wrong features' };

  it('a queued run leaves the queue; the running one is stopped, ends cancelled, frees its slot for the next, and is never retried', async () => {
    const { ctx } = setup;
    const first = await requestTraining(ctx, request(1));
    const second = await requestTraining(ctx, request(2));
    const running = await runOf(first.runId);
    expect(running).toMatchObject({ status: 'running', attempt: 1 });
    expect(await runOf(second.runId)).toMatchObject({ status: 'queued' });
    const executionId = running.execution_id!;
    const pid = setup.pidOf(executionId);
    expect(isAlive(pid)).toBe(true);

    // with one slot, cancelling the queued run dequeues it: it never gets an execution
    expect(await cancelRun(ctx, second.runId, actor, { stopExecution: setup.stopExecution })).toMatchObject({ status: 'cancelled', cancelled_by: 'admin-api', cancel_reason: 'wrong features', execution_id: null, executions: [] });
    const third = await requestTraining(ctx, request(3));
    expect(await runOf(third.runId)).toMatchObject({ status: 'queued' });

    const cancelledAt = Date.now();
    const cancelled = await cancelRun(ctx, first.runId, actor, { stopExecution: setup.stopExecution });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelled_by: 'admin-api', cancel_reason: 'wrong features', finished_at: expect.any(String) });
    // the launcher takes the freed slot: it stops the job when the cancel left that to it, and starts the next queued run
    expect(await launcherHandlesFreedSlots()).toEqual([third.runId]);
    expect(freed).toEqual([expect.objectContaining({ run_id: first.runId, reason: `run ${first.runId} cancelled` })]);
    await until('the job process to be gone', async () => !isAlive(pid), 5000);
    const execution = await until('the execution to end', async () => {
      const status = await ctx.platform.jobs.status(executionId);
      return status?.state !== 'running' && status;
    }, 5000);
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(execution).toMatchObject({ state: 'cancelled' });
    expect(await runOf(first.runId)).toMatchObject({ status: 'cancelled', attempt: 1, executions: [expect.objectContaining({ id: executionId, state: 'cancelled' })] });
    if (!setup.stopExecution) {
      expect(fake.calls.filter((c) => c.method === 'CancelExecution').map((c) => c.request)).toContainEqual({ name: `${fake.jobName}/executions/${executionId}` });
    }
    const next = await runOf(third.runId);
    expect(next).toMatchObject({ status: 'running', attempt: 1 });

    // the reconciler finds the cancelled run's execution ended and leaves the run alone
    expect(await reconcileRuns(ctx)).toEqual({ retried: [], failed: [] });
    expect(await runOf(first.runId)).toMatchObject({ status: 'cancelled', attempt: 1, executions: [expect.objectContaining({ id: executionId })] });
    expect((await runOf(first.runId)).executions).toHaveLength(1);
    expect(await runOf(second.runId)).toMatchObject({ status: 'cancelled', executions: [] });

    // a second cancel is refused with the status; the last run is cancelled too, so nothing keeps running
    await expect(cancelRun(ctx, first.runId, actor, { stopExecution: setup.stopExecution })).rejects.toMatchObject({ code: 'failed_precondition', details: { status: 'cancelled' } });
    const lastPid = setup.pidOf(next.execution_id!);
    await cancelRun(ctx, third.runId, actor, { stopExecution: true });
    await until('the last job to be gone', async () => !isAlive(lastPid), 5000);
  });
});
