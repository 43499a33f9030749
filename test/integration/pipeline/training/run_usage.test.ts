import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { CLOUD_RUN_PRICES, estimateCost, type RunResources } from '../../../../shared/core/cost';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { COLLECTIONS, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { completeTraining } from '../../../../shared/pipeline/usecases/on_training_completed';
import { reconcileRuns } from '../../../../shared/pipeline/usecases/reconcile_runs';
import { runUsage } from '../../../../shared/pipeline/training/run_usage';
import { createPlatform } from '../../../../shared/platform';
import { jobFailure } from '../../../support/job_failure';

const L4_JOB: RunResources = { vcpu: 4, memory_gib: 16, gpu_count: 1, gpu_type: 'nvidia-l4' };

describe('estimateCost', () => {
  test("reproduces the seeds' training job: 8 vCPU and 8 GB for 2700 s", () => {
    const cost = estimateCost(2700, { vcpu: 8, memory_gib: 8, gpu_count: 0, gpu_type: null }, CLOUD_RUN_PRICES);
    expect(cost).toEqual({ usd: 0.5724, vcpu_usd: 0.5184, memory_usd: 0.054, gpu_usd: 0, seconds: 2700, prices: CLOUD_RUN_PRICES });
  });

  test('bills the GPU per second next to CPU and memory', () => {
    const cost = estimateCost(600, L4_JOB, CLOUD_RUN_PRICES);
    expect(cost.vcpu_usd).toBeCloseTo(0.0576, 10);
    expect(cost.memory_usd).toBeCloseTo(0.024, 10);
    expect(cost.gpu_usd).toBeCloseTo(0.11202, 10);
    expect(cost.usd).toBeCloseTo(0.19362, 10);
  });

  test('uses the prices it is given', () => {
    const cost = estimateCost(10, L4_JOB, { vcpu_second: 1, gib_second: 0.5, gpu_second: 100 });
    expect(cost.usd).toBe(10 * 4 + 10 * 16 * 0.5 + 10 * 100);
  });

  test('no time costs nothing; a negative or unknown duration is refused', () => {
    expect(estimateCost(0, L4_JOB, CLOUD_RUN_PRICES).usd).toBe(0);
    expect(() => estimateCost(-1, L4_JOB, CLOUD_RUN_PRICES)).toThrow(RangeError);
    expect(() => estimateCost(Number.NaN, L4_JOB, CLOUD_RUN_PRICES)).toThrow(RangeError);
  });
});

describe('job resources and prices in the configuration', () => {
  test('locally: the cores and memory of this machine, no GPU', () => {
    const config = configFor('/tmp/x');
    expect(config.jobResources).toEqual({
      vcpu: os.availableParallelism(),
      memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      gpu_count: 0,
      gpu_type: null,
    });
    expect(config.prices).toEqual(CLOUD_RUN_PRICES);
  });

  test('on Google Cloud: the Cloud Run Job Terraform deploys, unless configured otherwise', () => {
    expect(configFor('/tmp/x', { MLOOP_PLATFORM: 'gcp' }).jobResources).toEqual(L4_JOB);
    const configured = configFor('/tmp/x', {
      MLOOP_PLATFORM: 'gcp',
      MLOOP_JOB_CPU: '8',
      MLOOP_JOB_MEMORY_GIB: '32',
      MLOOP_JOB_GPU_COUNT: '0',
      MLOOP_PRICE_VCPU_SECOND: '0.000018',
      MLOOP_PRICE_GIB_SECOND: '0.000002',
      MLOOP_PRICE_GPU_SECOND: '0.0002909',
    });
    expect(configured.jobResources).toEqual({ vcpu: 8, memory_gib: 32, gpu_count: 0, gpu_type: null });
    expect(configured.prices).toEqual({ vcpu_second: 0.000018, gib_second: 0.000002, gpu_second: 0.0002909 });
  });

  test('a price or a size that is not a number is a configuration error', () => {
    expect(() => configFor('/tmp/x', { MLOOP_PRICE_GPU_SECOND: 'cheap' })).toThrow(/MLOOP_PRICE_GPU_SECOND/);
    expect(() => configFor('/tmp/x', { MLOOP_JOB_CPU: '-2' })).toThrow(/MLOOP_JOB_CPU/);
  });
});

describe('a finishing run records its duration, resources and cost', () => {
  let home: string;
  let ctx: Context;
  const started = new Date('2025-03-01T10:00:00.000Z');

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-cost-'));
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_JOB_CPU: '4', MLOOP_JOB_MEMORY_GIB: '16', MLOOP_JOB_GPU_COUNT: '1' });
    const platform = createPlatform(config);
    ctx = { config, log: createLogger('silent'), platform: { ...platform, clock: { now: () => new Date(started.getTime() + 90_000), sleep: platform.clock.sleep } } };
  });

  afterEach(async () => {
    await ctx.platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function runningRun(overrides: Partial<RunDoc> = {}): Promise<RunDoc> {
    const run: RunDoc = {
      id: 'run-1',
      model: 'fraud',
      model_version: 'v1',
      dataset_version: 'd1',
      request_id: 'r1',
      reason: 'upload',
      status: 'running',
      attempt: 1,
      max_attempts: 1,
      execution_id: null,
      executions: [],
      created_at: started.toISOString(),
      claimed_at: started.toISOString(),
      started_at: started.toISOString(),
      ...overrides,
    };
    await ctx.platform.docs.set(COLLECTIONS.runs, run.id, { ...run });
    return run;
  }

  test('runUsage: from the first launch to now, on the configured resources', async () => {
    const run = await runningRun();
    expect(runUsage(ctx.config, run, new Date(started.getTime() + 90_000))).toEqual({
      duration_seconds: 90,
      resources: L4_JOB,
      cost_estimate: estimateCost(90, L4_JOB, CLOUD_RUN_PRICES),
    });
    expect(runUsage(ctx.config, { ...run, started_at: undefined, claimed_at: undefined }, new Date())).toEqual({ resources: L4_JOB });
  });

  test('a failure reported by the job', async () => {
    await runningRun();
    await completeTraining(ctx, jobFailure('run-1'));
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, 'run-1'))!;
    expect(run).toMatchObject({ status: 'failed', duration_seconds: 90, resources: L4_JOB, cost_estimate: estimateCost(90, L4_JOB, CLOUD_RUN_PRICES) });
  });

  test('a run failed by the reconcile pass after its job was lost', async () => {
    await runningRun({ claimed_at: new Date(started.getTime() - 120_000).toISOString(), started_at: undefined });
    expect(await reconcileRuns(ctx)).toMatchObject({ failed: ['run-1'] });
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, 'run-1'))!;
    expect(run).toMatchObject({ status: 'failed', duration_seconds: 210, resources: L4_JOB, cost_estimate: estimateCost(210, L4_JOB, CLOUD_RUN_PRICES) });
  });
});
