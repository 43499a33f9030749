/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import { configFor } from '../../../../shared/core/config';
import type { TrainingCompleted } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import { openScorer, readHoldout, writeArtifact } from '../../../../shared/pipeline/artifacts/model_files';
import { versionFiles } from '../../../../shared/pipeline/artifacts/version_files';
import type { Context } from '../../../../shared/pipeline/context';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { holdoutSilhouette } from '../../../../shared/pipeline/promotion/holdout_silhouette';
import { storeOf } from '../../../../shared/pipeline/store';
import { COLLECTIONS, type ModelDoc, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { trainCandidate } from '../../../../shared/pipeline/training/train_core';
import { planTraining } from '../../../../shared/pipeline/training/training_plan';
import { completeTraining } from '../../../../shared/pipeline/usecases/on_training_completed';
import { createPlatform } from '../../../../shared/platform';
import { tempHome } from '../../../e2e/helpers';
import { taskData } from '../../../support/task_data';

jest.setTimeout(240_000);

/**
 * A kmeans candidate judged by onTrainingCompleted against a kmeans production, on real stored versions:
 * both are measured by the silhouette of the clusters they give the candidate's holdout rows, whatever
 * promotion.metric says, and neither an AUC bootstrap nor a class change is made of cluster indices.
 */
const home = tempHome('mloop-clustering-decision-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** Trains kmeans on the synthetic binary data and stores it as `version`, as the train job does. */
async function storedVersion(model: string, version: string, clusters: number): Promise<void> {
  const data = taskData('binary', 1200, 3);
  const plan = planTraining('binary', { algorithm: 'kmeans', params: { n_clusters: clusters, n_init: 1 }, promotion: { metric: 'pr_auc' } }, null, { epochs: 1, backend: 'auto' });
  const candidate = await trainCandidate(data, plan, { workers: 1, workerScript: 'unused' });
  const { files } = versionFiles(data, candidate, plan, { model, version, run_id: `run-${version}`, dataset: { version: 'ds', uri: 'data.csv' }, created_at: new Date().toISOString() });
  for (const file of files) await writeArtifact(ctx, model, version, file.name, file.data, file.contentType);
}

async function runOf(model: string, production: string, candidate: string): Promise<TrainingCompleted> {
  const now = new Date().toISOString();
  const doc: ModelDoc = { name: model, production_version: production, previous_version: null, next_version: 3, aliases: {}, updated_at: now };
  await ctx.platform.docs.set(COLLECTIONS.models, model, { ...doc });
  const run: RunDoc = {
    id: `run-${model}-${candidate}`, model, model_version: candidate, dataset_version: 'ds', request_id: `req-${model}`, reason: 'upload',
    status: 'running', attempt: 1, max_attempts: 3, executions: [], created_at: now,
    // a promotion metric of a binary target: a clustering is judged on its silhouette all the same
    promotion: parseDatasetConfig({ promotion: { metric: 'pr_auc', delta: 0 } }, 'csv').promotion,
  };
  await ctx.platform.docs.set(COLLECTIONS.runs, run.id, { ...run });
  return { run_id: run.id, attempt: 1, model, model_version: candidate, status: 'succeeded', metrics: {}, finished_at: now };
}

test('a kmeans candidate is promoted, or not, on the silhouettes both versions give its holdout', async () => {
  await storedVersion('segments', 'v1', 8);
  await storedVersion('segments', 'v2', 3);
  const result = await completeTraining(ctx, await runOf('segments', 'v1', 'v2'));
  if (result.outcome !== 'decided') throw new Error(JSON.stringify(result));
  const { decision } = result;
  expect(decision).toMatchObject({ metric: 'silhouette', production_version: 'v1', bootstrap: null, class_change: null });
  // each value is the silhouette that version gives the candidate's holdout, measured apart here
  const holdout = await readHoldout(ctx, 'segments', 'v2');
  for (const [version, value] of [['v1', decision.production_metric], ['v2', decision.candidate_metric]] as const) {
    const scorer = await openScorer(ctx, 'segments', version);
    try {
      expect(value).toBeCloseTo((await holdoutSilhouette(scorer, version, holdout)).value!, 10);
    } finally {
      await scorer.release();
    }
  }
  expect(decision.candidate_metric).not.toBe(decision.production_metric);
  const better = decision.candidate_metric! > decision.production_metric!;
  expect(decision.promote).toBe(better);
  expect(await storeOf(ctx).models.productionVersion('segments')).toBe(better ? 'v2' : 'v1');
});
