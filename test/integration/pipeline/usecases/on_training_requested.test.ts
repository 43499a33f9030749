/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type TrainingRequested } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import { readManifest } from '../../../../shared/pipeline/artifacts/model_files';
import type { Context } from '../../../../shared/pipeline/context';
import { runView } from '../../../../shared/pipeline/read_models/listings';
import { COLLECTIONS, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { ingestObject } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../../../shared/pipeline/usecases/on_training_requested';
import { runTrainingJob } from '../../../../shared/pipeline/usecases/run_training_job';
import { createPlatform } from '../../../../shared/platform';
import { RecordingLauncher } from '../../../support/recording_launcher';

/**
 * A run settles what it trains, and its promotion policy, when it is created, from the config stored with
 * its dataset and the request; the job trains that plan, whatever the live mloop.json says by then.
 */
let home: string;
let ctx: Context;
let launcher: RecordingLauncher;

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-run-plan-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', MLOOP_MAX_PARALLEL_JOBS: '5', MLOOP_TRAIN_EPOCHS: '9', MLOOP_TRAIN_WORKERS: '1' });
  launcher = new RecordingLauncher();
  ctx = { config, log: createLogger('silent'), platform: { ...createPlatform(config), jobs: launcher } };
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
});

afterEach(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const CSV =
  'amount,kind,label\n' +
  Array.from({ length: 600 }, (_, i) => {
    const positive = i % 4 === 0;
    return `${(positive ? 50 : 10) + (i % 13)},${i % 3 ? 'a' : 'b'},${positive ? 'yes' : 'no'}`;
  }).join('\n') +
  '\n';

async function ingest(mloopJson: unknown): Promise<string> {
  await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/churn/mloop.json', JSON.stringify(mloopJson));
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/churn/data.csv', CSV);
  const result = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  return result.version;
}

const request = (version: string, id: string, training?: TrainingRequested['training']): TrainingRequested => ({
  request_id: id,
  model: 'churn',
  dataset_version: version,
  reason: 'manual',
  requested_at: new Date().toISOString(),
  ...(training ? { training } : {}),
});

const MLOOP_JSON = {
  target: 'label',
  positive_class: 'yes',
  algorithm: 'logistic',
  params: { batch_size: 64, learning_rate: 0.05 },
  search: { learning_rate: [0.01, 0.05] },
  epochs: 2,
  seed: 3,
  sample: 500,
  promotion: { delta: 0.03, max_p99_ms: 50 },
};

describe('a run created from a training request', () => {
  it('stores the resolved plan, the search expanded once, and the promotion policy; the job trains that plan', async () => {
    const version = await ingest(MLOOP_JSON);
    const created = await requestTraining(ctx, request(version, 'r1', { params: { batch_size: 32 } }));
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, created.runId))!;
    expect(run.plan).toEqual({
      algorithm: 'logistic',
      calibration: 'auto',
      params: { batch_size: 32, learning_rate: 0.05 },
      trials: [{ learning_rate: 0.01 }, { learning_rate: 0.05 }],
      epochs: 2,
      seed: 3,
      sample: 500,
      unsupervised: false,
      metric: 'auc',
      target_recall: null,
    });
    expect(run.promotion).toEqual({ metric: 'auc', delta: 0.03, max_p99_ms: 50 });
    expect(launcher.launched).toEqual([run.id]);

    // Edited after the run was created: neither the run nor what its job trains changes.
    await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/churn/mloop.json', JSON.stringify({ ...MLOOP_JSON, algorithm: 'gbdt', epochs: 50 }));
    expect(await runTrainingJob(ctx, run.id, 1)).toBe('succeeded');
    const manifest = await readManifest(ctx, 'churn', run.model_version);
    expect(manifest.algorithm).toBe('logistic');
    expect(manifest.trainer.params).toMatchObject({ batch_size: 32, epochs: 2, seed: 3 });
    expect(manifest.sweep?.trials.map((t) => t.params.learning_rate)).toEqual([0.01, 0.05]);
  });

  it('trains auto when mloop.json names no algorithm: the run records every candidate, the manifest names the family chosen', async () => {
    const version = await ingest({ target: 'label', positive_class: 'yes', seed: 3 });
    const created = await requestTraining(ctx, request(version, 'r-auto'));
    const planned = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, created.runId))!;
    expect(planned.plan).toMatchObject({ algorithm: 'auto', metric: 'auc' });
    expect(await runTrainingJob(ctx, planned.id, 1)).toBe('succeeded');

    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, planned.id))!;
    const selection = run.selection!;
    expect(selection).toMatchObject({ by: 'auto', metric: 'auc', higher_is_better: true });
    const byFamily = Object.fromEntries(selection.candidates.map((c) => [c.family, c]));
    expect(Object.keys(byFamily)).toEqual(['gbdt', 'linear', 'random_forest', 'mlp']);
    expect(byFamily.gbdt).toMatchObject({ status: 'trained', value: expect.any(Number), params: expect.objectContaining({ seed: 3 }) });
    expect(byFamily.mlp).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/fewer than mlp_min_rows/) });
    expect(runView(run).selection).toEqual(selection);

    const manifest = await readManifest(ctx, 'churn', run.model_version);
    // the blend of the candidates when it beat the best alone (the manifest then says auto), else one family
    if (selection.winner === 'blend') {
      expect(selection.blend!.kept).toBe(true);
      for (const m of selection.blend!.members) expect(byFamily[m.family].status).toBe('trained');
      expect(manifest).toMatchObject({ algorithm: 'auto', selection });
    } else {
      expect(byFamily[selection.winner].status).toBe('trained');
      expect(manifest).toMatchObject({ algorithm: selection.winner, selection });
      expect(manifest.trainer.params).toEqual(byFamily[selection.winner].params);
    }
  });

  it('fails at once, with the reason, when the request asks for a search that does not resolve; nothing is launched', async () => {
    const version = await ingest({ target: 'label', positive_class: 'yes' });
    const created = await requestTraining(ctx, request(version, 'r2', { search: { a: Array.from({ length: 11 }, (_, i) => i), b: Array.from({ length: 11 }, (_, i) => i) } }));
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, created.runId))!;
    expect(run).toMatchObject({ status: 'failed', attempt: 0 });
    expect(run.error).toMatch(/^the run cannot be planned: the grid has 121 trials, more than 100/);
    expect(run.plan).toBeUndefined();
    expect(launcher.launched).toEqual([]);
    // A redelivered request finds the run and changes nothing.
    expect(await requestTraining(ctx, request(version, 'r2'))).toEqual({ ...created, outcome: 'exists' });
    expect(launcher.launched).toEqual([]);
  });

  it('trains a random forest when mloop.json names it: its out-of-bag score among the metrics, progress per tree', async () => {
    const version = await ingest({ target: 'label', positive_class: 'yes', algorithm: 'random_forest', params: { n_estimators: 15 }, seed: 3 });
    const created = await requestTraining(ctx, request(version, 'rf1'));
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, created.runId))!;
    expect(run.plan).toMatchObject({ algorithm: 'random_forest', params: { n_estimators: 15 }, seed: 3 });
    expect(await runTrainingJob(ctx, run.id, 1)).toBe('succeeded');
    const manifest = await readManifest(ctx, 'churn', run.model_version);
    expect(manifest.algorithm).toBe('random_forest');
    expect(manifest.output.name).toBe('probability');
    expect(manifest.trainer.params).toMatchObject({ n_estimators: 15, max_features: 'auto', bootstrap: true, seed: 3 });
    expect(manifest.trainer.history.map((h) => h.iteration)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    // the label follows the amount: held-out and out-of-bag rows alike are ranked right
    expect(manifest.metrics.auc).toBeGreaterThan(0.95);
    expect(manifest.metrics.oob_auc).toBeGreaterThan(0.95);
    expect(manifest.metrics.oob_score).toBeGreaterThan(0.9);
    const done = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, run.id))!;
    expect(done.progress).toMatchObject({ unit: 'iteration', iteration: 15, iterations: 15 });
  });

  it('fails at once, with the reason, when the request asks for a search that does not resolve; nothing is launched', async () => {
    const version = await ingest({ target: 'label', positive_class: 'yes' });
    const created = await requestTraining(ctx, request(version, 'r2', { search: { a: Array.from({ length: 11 }, (_, i) => i), b: Array.from({ length: 11 }, (_, i) => i) } }));
    const run = (await ctx.platform.docs.get<RunDoc>(COLLECTIONS.runs, created.runId))!;
    expect(run).toMatchObject({ status: 'failed', attempt: 0 });
    expect(run.error).toMatch(/^the run cannot be planned: the grid has 121 trials, more than 100/);
    expect(run.plan).toBeUndefined();
    expect(launcher.launched).toEqual([]);
    // A redelivered request finds the run and changes nothing.
    expect(await requestTraining(ctx, request(version, 'r2'))).toEqual({ ...created, outcome: 'exists' });
    expect(launcher.launched).toEqual([]);
  });
});
