/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type TrainingCompleted, type TrainingOverrides } from '../../../../shared/core/events';
import { datasetId } from '../../../../shared/core/ids';
import { createLogger } from '../../../../shared/core/log';
import { seededRandom } from '../../../../shared/data/random';
import { readManifest } from '../../../../shared/pipeline/artifacts/model_files';
import type { Context } from '../../../../shared/pipeline/context';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { COLLECTIONS, type DatasetDoc, type ModelDoc, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { completeTraining } from '../../../../shared/pipeline/usecases/on_training_completed';
import { taskCountFor } from '../../../../shared/pipeline/training/task_count';
import { runTrainingJob } from '../../../../shared/pipeline/usecases/run_training_job';
import { createPlatform } from '../../../../shared/platform';

/**
 * A sweep spread over two Cloud Run tasks, played by running the job twice on the same run with
 * CLOUD_RUN_TASK_INDEX 0 and 1, then champion/challenger on a regression target (RMSE, lower wins).
 */
const SUBSCRIPTION = 'test-training-completed';
let home: string;
let ctx: Context;

function taskContext(index: number, count: number): Context {
  const config = configFor(home, {
    MLOOP_LOG_LEVEL: 'silent',
    MLOOP_TRAIN_EPOCHS: '8',
    MLOOP_TRAIN_WORKERS: '1',
    CLOUD_RUN_TASK_INDEX: String(index),
    CLOUD_RUN_TASK_COUNT: String(count),
  });
  return { ...ctx, config };
}

function pricesCsv(rows: number): string {
  const random = seededRandom(11);
  const lines = ['size,rooms,area,price'];
  for (let i = 0; i < rows; i++) {
    const size = 30 + 120 * random.next();
    const rooms = 1 + random.int(5);
    const area = ['north', 'south', 'centre'][random.int(3)];
    const price = 50 + 2.5 * size + 8 * rooms + (area === 'centre' ? 60 : 0) + 10 * random.normal();
    lines.push(`${size.toFixed(1)},${rooms},${area},${price.toFixed(2)}`);
  }
  return lines.join('\n') + '\n';
}

async function startRun(id: string, version: string, training: TrainingOverrides): Promise<RunDoc> {
  const run: RunDoc = {
    id,
    model: 'prices',
    model_version: version,
    dataset_version: 'd1',
    request_id: `request-${id}`,
    reason: 'manual',
    status: 'running',
    attempt: 1,
    max_attempts: 3,
    executions: [],
    training,
    created_at: new Date().toISOString(),
  };
  await ctx.platform.docs.set(COLLECTIONS.runs, id, { ...run });
  return run;
}

/** What the jobs published, taken off the test's subscription; waits for `expected`, then a little more for extras. */
async function published(expected: number): Promise<TrainingCompleted[]> {
  const seen: TrainingCompleted[] = [];
  const subscription = await ctx.platform.bus.subscribe(SUBSCRIPTION, async (message) => {
    seen.push(message.data as TrainingCompleted);
  });
  const deadline = Date.now() + 20_000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 300));
  await subscription.close();
  return seen;
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-sweep-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config) };
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingCompleted, SUBSCRIPTION, { minBackoffMs: 10 });
  const object = await ctx.platform.objects.put('data', 'datasets/prices/prices.csv', pricesCsv(2400));
  const dataset: DatasetDoc = {
    model: 'prices',
    version: 'd1',
    status: 'accepted',
    object: { bucket: object.bucket, name: object.name, generation: object.generation, md5Hash: object.md5Hash, size: object.size },
    config: parseDatasetConfig({ target: 'price' }),
    created_at: new Date().toISOString(),
  };
  await ctx.platform.docs.set(COLLECTIONS.datasets, datasetId('prices', 'd1'), { ...dataset });
  const model: ModelDoc = { name: 'prices', production_version: null, previous_version: null, next_version: 3, updated_at: new Date().toISOString() };
  await ctx.platform.docs.set(COLLECTIONS.models, 'prices', { ...model });
});

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('a sweep over two tasks, then promotion on RMSE', () => {
  let first: TrainingCompleted;

  it('splits the trials between the tasks, and the last to finish publishes the best once', async () => {
    const search = { learning_rate: [0.000001, 0.03, 0.0001] };
    await startRun('run-sweep', 'v1', { algorithm: 'logistic', params: { batch_size: 64 }, search });
    const outcomes = await Promise.all([runTrainingJob(taskContext(0, 2), 'run-sweep', 1), runTrainingJob(taskContext(1, 2), 'run-sweep', 1)]);
    expect(outcomes).toEqual(['succeeded', 'succeeded']);

    const events = await published(1);
    expect(events).toHaveLength(1);
    first = events[0];
    expect(first).toMatchObject({ run_id: 'run-sweep', status: 'succeeded', model_version: 'v1' });

    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, 'run-sweep'))!;
    const trials = Object.values(run.sweep!.trials).sort((a, b) => a.trial - b.trial);
    expect(run.sweep).toMatchObject({ attempt: 1, tasks: 2, done: [0, 1] });
    expect(trials.map((t) => [t.trial, t.task, t.params.learning_rate])).toEqual([
      [0, 0, 0.000001],
      [1, 1, 0.03],
      [2, 0, 0.0001],
    ]);
    const best = trials.reduce((a, b) => (b.value! < a.value! ? b : a));
    expect(best.trial).toBe(1);

    const manifest = await readManifest(ctx, 'prices', 'v1');
    expect(manifest).toMatchObject({ task: 'regression', algorithm: 'logistic', output: { name: 'value' }, sweep: { metric: 'rmse', best_trial: 1 } });
    expect(manifest.trainer.params).toMatchObject({ learning_rate: 0.03, batch_size: 64 });
    expect(first.metrics?.rmse).toBe(manifest.metrics.rmse);
  });

  it('a task run again, the finisher included, or a stale one publishes nothing more', async () => {
    expect(await runTrainingJob(taskContext(0, 2), 'run-sweep', 1)).toBe('succeeded');
    expect(await runTrainingJob(taskContext(1, 2), 'run-sweep', 1)).toBe('succeeded');
    expect(await runTrainingJob(taskContext(1, 2), 'run-sweep', 2)).toBe('skipped');
    expect(await published(0)).toHaveLength(0);
  });

  it('promotes the first model on its holdout RMSE, then rejects a worse one', async () => {
    const decided = await completeTraining(ctx, first);
    if (decided.outcome !== 'decided') throw new Error(JSON.stringify(decided));
    expect(decided.decision).toMatchObject({ promote: true, metric: 'rmse', production_version: null });

    // 1e-6 barely moves the weights: its predictions stay far from the prices
    await startRun('run-worse', 'v2', { algorithm: 'logistic', params: { batch_size: 64, learning_rate: 0.000001 } });
    expect(await runTrainingJob(taskContext(0, 1), 'run-worse', 1)).toBe('succeeded');
    const [second] = await published(1);
    const verdict = await completeTraining(ctx, second);
    if (verdict.outcome !== 'decided') throw new Error(JSON.stringify(verdict));
    expect(verdict.decision).toMatchObject({ promote: false, metric: 'rmse', production_version: 'v1' });
    expect(verdict.decision.candidate_metric!).toBeGreaterThan(verdict.decision.production_metric!);
    expect(verdict.decision.reasons[0]).toMatch(/^candidate rmse [\d.]+ does not beat production [\d.]+ − 0\.01 ×/);
    const model = await ctx.platform.docs.get<ModelDoc>(COLLECTIONS.models, 'prices');
    expect(model?.production_version).toBe('v1');
  });
});

describe('the tasks an execution is launched with', () => {
  it('is one per trial, up to MLOOP_SWEEP_TASKS, and one for a search that does not parse', async () => {
    const run = await startRun('run-count', 'v9', { search: { learning_rate: [0.1, 0.2, 0.3] } });
    const withTasks = (tasks: string): Context => ({ ...ctx, config: configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_SWEEP_TASKS: tasks }) });
    expect(await taskCountFor(withTasks('8'), run)).toBe(3);
    expect(await taskCountFor(withTasks('2'), run)).toBe(2);
    expect(await taskCountFor(withTasks('1'), run)).toBe(1);
    expect(await taskCountFor(withTasks('8'), { ...run, training: { search: { learning_rate: [] } } })).toBe(1);
    expect(await taskCountFor(withTasks('8'), { ...run, training: null })).toBe(1);
  });
});
