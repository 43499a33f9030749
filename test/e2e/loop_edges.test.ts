/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { TOPICS, type TrainingCompleted } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { Context } from '../../shared/pipeline/context';
import { artifactsPrefix, COLLECTIONS, type RunDoc } from '../../shared/pipeline/store/documents';
import { storeOf } from '../../shared/pipeline/store';
import { ingestObject } from '../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../shared/pipeline/usecases/on_training_requested';
import { ModelServer } from '../../shared/serving/model_server';
import { completeTraining, type CompletionResult } from '../../shared/pipeline/usecases/on_training_completed';
import { launchOnFreedSlot } from '../../shared/pipeline/usecases/on_run_slot_freed';
import { reconcileRuns } from '../../shared/pipeline/usecases/reconcile_runs';
import { createPlatform } from '../../shared/platform';
import { LocalEventBus } from '../../shared/platform/local/event_bus';
import { ROOT, tempHome, until } from './helpers';

jest.setTimeout(120_000);

const JOB = path.join(ROOT, 'dist', 'jobs', 'train.js');

function contextFor(home: string, overrides: Record<string, string> = {}): Context {
  const config = configFor(home, { MLOOP_JOB_SCRIPT: JOB, MLOOP_POLL_MS: '20', MLOOP_TRAIN_EPOCHS: '4', ...overrides });
  return { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
}

async function put(ctx: Context, name: string, body: string | Buffer) {
  const meta = await ctx.platform.objects.put(ctx.config.dataBucket, name, body);
  return { bucket: meta.bucket, name: meta.name, generation: meta.generation };
}

const requestOf = (model: string, version: string, requestId: string) => ({
  request_id: requestId,
  model,
  dataset_version: version,
  reason: 'upload' as const,
  requested_at: new Date().toISOString(),
});

describe('upload validation', () => {
  const home = tempHome('mloop-ingest-');
  const ctx = contextFor(home);
  afterAll(async () => {
    await ctx.platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('rejects bad files with the reason on the dataset, and requests no training for them', async () => {
    await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe-requests');
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['datasets/fraud/empty.csv', '', /empty/i],
      ['datasets/fraud/header-only.csv', 'amount,type,isFraud\n', /no data rows|header/i],
      ['datasets/fraud/no-target.csv', 'amount,type\n1,A\n2,B\n', /isFraud/],
      ['datasets/fraud/broken.csv', 'amount,type,isFraud\n1,"A,0\n2,B,1\n', /line|quote|parse/i],
      ['datasets/fraud/ragged.csv', 'amount,type,isFraud\n1,A,0\n2,B\n', /line 3/i],
    ];
    for (const [name, body, reason] of cases) {
      const result = await ingestObject(ctx, await put(ctx, name, body));
      expect(result.outcome).toBe('rejected');
      if (result.outcome !== 'rejected') continue;
      expect(result.reason).toMatch(reason);
      const doc = await storeOf(ctx).datasets.get('fraud', result.version);
      expect(doc).toMatchObject({ status: 'rejected', model: 'fraud' });
      expect(doc!.reason).toMatch(reason);
    }
    const stats = (ctx.platform.bus as LocalEventBus).queueStats().find((s) => s.subscription === 'probe-requests');
    expect(stats?.pending ?? 0).toBe(0);
  });

  it('ignores objects that are not datasets', async () => {
    for (const name of ['datasets/fraud/notes.txt', 'datasets/Bad Name/x.csv', 'elsewhere/x.csv', 'datasets/x.csv', 'datasets/fraud/mloop.json']) {
      const result = await ingestObject(ctx, await put(ctx, name, 'a,isFraud\n1,0\n'));
      expect(result.outcome).toBe('ignored');
    }
    expect((await ingestObject(ctx, { bucket: 'artifacts', name: 'datasets/fraud/a.csv', generation: '1' })).outcome).toBe('ignored');
  });

  it('gives the same bytes under two names one version and one training request', async () => {
    const file = path.join(home, 'small.csv');
    await writeFraudCsv(file, { rows: 3000, seed: 3 });
    const body = fs.readFileSync(file);
    const a = await ingestObject(ctx, await put(ctx, 'datasets/dupes/a.csv', body));
    const b = await ingestObject(ctx, await put(ctx, 'datasets/dupes/b.csv', body));
    expect(a.outcome).toBe('accepted');
    expect(b).toEqual(a);
  });

  it('rejects a dataset whose mloop.json is invalid, naming the file and the field', async () => {
    await put(ctx, 'datasets/conf/mloop.json', JSON.stringify({ target: 5 }));
    const result = await ingestObject(ctx, await put(ctx, 'datasets/conf/a.csv', 'a,isFraud\n1,0\n2,1\n'));
    expect(result.outcome).toBe('rejected');
    if (result.outcome === 'rejected') expect(result.reason).toMatch(/mloop\.json.*target/);
  });
});

describe('the parallel limit', () => {
  const home = tempHome('mloop-limit-');
  const sleeper = path.join(home, 'sleep-job.js');
  fs.writeFileSync(sleeper, 'setTimeout(() => {}, 60_000);\n');
  const ctx = contextFor(home, { MLOOP_JOB_SCRIPT: sleeper, MLOOP_MAX_PARALLEL_JOBS: '1' });
  afterAll(async () => {
    for (const data of await storeOf(ctx).runs.running()) if (data.execution_id) await ctx.platform.jobs.cancel(data.execution_id);
    await ctx.platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs one job at a time and queues the rest; a job that dies is retried as a new attempt of the same run', async () => {
    for (const seed of [21, 22, 23]) {
      const file = path.join(home, `d${seed}.csv`);
      await writeFraudCsv(file, { rows: 2000, seed });
      const result = await ingestObject(ctx, await put(ctx, `datasets/fraud/d${seed}.csv`, fs.readFileSync(file)));
      if (result.outcome !== 'accepted') throw new Error(`dataset d${seed} ${result.outcome}`);
      await requestTraining(ctx, requestOf('fraud', result.version, result.requestId));
    }
    const runs = () => storeOf(ctx).runs.list();
    let all = await runs();
    expect(all.filter((r) => r.status === 'running')).toHaveLength(1);
    expect(all.filter((r) => r.status === 'queued')).toHaveLength(2);
    expect(all.map((r) => r.model_version).sort()).toEqual(['v1', 'v2', 'v3']);

    const victim = all.find((r) => r.status === 'running')!;
    await ctx.platform.jobs.cancel(victim.execution_id!);
    const result = await reconcileRuns(ctx);
    expect(result.retried).toEqual([victim.id]);
    // The reconciler only requeues and says a slot is free; the launcher starts what fits.
    expect((await runs()).find((r) => r.id === victim.id)).toMatchObject({ status: 'queued', attempt: 1 });
    expect(await launchOnFreedSlot(ctx, { reason: 'reconcile', freed_at: new Date().toISOString() })).toEqual([victim.id]);
    all = await runs();
    const retried = all.find((r) => r.id === victim.id)!;
    expect(retried).toMatchObject({ status: 'running', attempt: 2 });
    expect(retried.executions.map((e) => e.attempt)).toEqual([1, 2]);
    expect(all.filter((r) => r.status === 'running')).toHaveLength(1);
  });
});

describe('a trained model', () => {
  const home = tempHome('mloop-swap-');
  const ctx = contextFor(home);
  let completions: CompletionResult[] = [];

  beforeAll(async () => {
    await ctx.platform.bus.ensureSubscription(TOPICS.trainingCompleted, 'probe-completed', { minBackoffMs: 10 });
    await ctx.platform.bus.subscribe('probe-completed', async (message) => {
      completions.push(await completeTraining(ctx, message.data as TrainingCompleted));
    });
  });
  afterAll(async () => {
    await ctx.platform.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function train(name: string, seed: number, beforeJob?: () => Promise<void>): Promise<RunDoc> {
    const file = path.join(home, `${name}.csv`);
    await writeFraudCsv(file, { rows: 12_000, seed });
    const ingested = await ingestObject(ctx, await put(ctx, `datasets/fraud/${name}.csv`, fs.readFileSync(file)));
    if (ingested.outcome !== 'accepted') throw new Error(`${name} ${ingested.outcome}`);
    await beforeJob?.();
    const { runId } = await requestTraining(ctx, requestOf('fraud', ingested.version, ingested.requestId));
    return until(`run ${runId} to finish`, async () => {
      const run = await storeOf(ctx).runs.get(runId);
      return run && (run.status === 'succeeded' || run.status === 'failed') ? run : null;
    }, 90_000, 50);
  }

  it('marks the run failed with the cause when the job reports an error', async () => {
    completions = [];
    const run = await train('changed', 31, async () => {
      // The dataset changes under its recorded version: training it would train on other bytes.
      await put(ctx, 'datasets/fraud/changed.csv', 'amount,isFraud\n1,0\n2,1\n');
    });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/changed or was deleted/);
    expect(completions.map((c) => c.outcome)).toContain('failed');
  });

  it('is swapped for a newly promoted version under load without a failed request', async () => {
    const run = await train('good', 32);
    expect(run).toMatchObject({ status: 'succeeded', promoted: true });
    const version = run.model_version;
    const { objects } = ctx.platform;
    const bucket = ctx.config.artifactsBucket;
    // A second version with the same weights under another name: the swap, not the model, is under test.
    for (const file of ['model.onnx', 'manifest.json']) {
      let bytes = await objects.get(bucket, artifactsPrefix('fraud', version) + file);
      if (file === 'manifest.json') bytes = Buffer.from(JSON.stringify({ ...JSON.parse(bytes.toString()), version: 'v99' }));
      await objects.put(bucket, artifactsPrefix('fraud', 'v99') + file, bytes);
    }
    const server = new ModelServer(ctx);
    await server.refresh();
    const instance = { step: 1, type: 'TRANSFER', amount: 181, oldbalanceOrg: 181, newbalanceOrig: 0, oldbalanceDest: 0, newbalanceDest: 0 };
    const seen: string[] = [];
    let failures = 0;
    let stop = false;
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          seen.push((await server.score('fraud', [instance])).model_version);
        } catch {
          failures++;
        }
        // A loaded model scores without leaving the caller's turn (no I/O in between), so a loop of awaits
        // alone would never let the timers below run: requests arrive as I/O, one event loop turn apart.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ctx.platform.docs.update(COLLECTIONS.models, 'fraud', { production_version: 'v99' });
    await server.onPromoted('fraud');
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop = true;
    await Promise.all(load);
    await server.close();
    expect(failures).toBe(0);
    expect(seen[0]).toBe(version);
    expect(seen[seen.length - 1]).toBe('v99');
    expect(seen.lastIndexOf(version)).toBeLessThan(seen.indexOf('v99'));
  });
});
