/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import type { TrainingCompleted } from '../../../../shared/core/events';
import { createLogger } from '../../../../shared/core/log';
import { writeSyntheticImages } from '../../../../shared/data/images/synthetic_images';
import { writeArtifact } from '../../../../shared/pipeline/artifacts/model_files';
import { imageVersionFiles } from '../../../../shared/pipeline/artifacts/image_version_files';
import type { Context } from '../../../../shared/pipeline/context';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { storeOf } from '../../../../shared/pipeline/store';
import { COLLECTIONS, type ModelDoc, type RunDoc } from '../../../../shared/pipeline/store/documents';
import { loadArchiveImages, testSplitRows } from '../../../../shared/pipeline/training/image_archive';
import { bindImagePlan, trainImageCandidate } from '../../../../shared/pipeline/training/image_training';
import { resolveRunPlan } from '../../../../shared/pipeline/training/training_plan';
import { completeTraining } from '../../../../shared/pipeline/usecases/on_training_completed';
import { createPlatform } from '../../../../shared/platform';
import { tempHome } from '../../../e2e/helpers';

jest.setTimeout(240_000);

/**
 * A candidate CNN whose classes differ from production's, judged by onTrainingCompleted on real stored
 * versions (ONNX files, manifests, the holdout's image files): the decision records the class change,
 * compares on the shared classes, and a removed class waits for a person.
 */
const home = tempHome('mloop-class-change-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
const CONFIG = parseDatasetConfig({ image_size: 16, params: { filters: [4, 8], epochs: 2, batch_size: 16, augment: false, backend: 'cpu' } }, 'images');

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** Trains a CNN on `classes` classes of generated images and stores it as `version`, as the train job does. */
async function storedVersion(model: string, version: string, classes: number): Promise<void> {
  const zip = path.join(home, `${model}-${version}.zip`);
  await writeSyntheticImages(zip, { classes, perClass: 10, size: 16, seed: classes });
  const bytes = fs.readFileSync(zip);
  const { dataset, data } = await loadArchiveImages(bytes, CONFIG);
  const plan = bindImagePlan(resolveRunPlan(CONFIG, null), { epochs: 2, backend: 'cpu' });
  const candidate = await trainImageCandidate(data, plan);
  const files = imageVersionFiles(data, candidate, plan, await testSplitRows(bytes, dataset), {
    model, version, run_id: `run-${model}-${version}`, dataset: { version: dataset.version, uri: zip }, created_at: new Date().toISOString(),
  });
  for (const file of files.files) await writeArtifact(ctx, model, version, file.name, file.data, file.contentType);
}

/** A model whose production is `production`, and a running run of `candidate` to complete. */
async function runOf(model: string, production: string, candidate: string, promotion: Record<string, unknown>): Promise<TrainingCompleted> {
  const now = new Date().toISOString();
  const doc: ModelDoc = { name: model, production_version: production, previous_version: null, next_version: 3, aliases: {}, updated_at: now };
  await ctx.platform.docs.set(COLLECTIONS.models, model, { ...doc });
  const run: RunDoc = {
    id: `run-${model}-${candidate}`, model, model_version: candidate, dataset_version: 'ds', request_id: `req-${model}`, reason: 'upload',
    status: 'running', attempt: 1, max_attempts: 3, executions: [], created_at: now,
    promotion: parseDatasetConfig({ promotion }, 'images').promotion,
  };
  await ctx.platform.docs.set(COLLECTIONS.runs, run.id, { ...run });
  return { run_id: run.id, attempt: 1, model, model_version: candidate, status: 'succeeded', metrics: {}, finished_at: now };
}

describe('onTrainingCompleted when the class set changed', () => {
  it('compares on the shared classes, holds the new class to its recall floor and promotes by that rule', async () => {
    await storedVersion('leaves', 'v1', 3);
    await storedVersion('leaves', 'v2', 4);
    // a floor of 0 and a wide delta: two epochs learn little, and what is tested is the rule's bookkeeping
    const result = await completeTraining(ctx, await runOf('leaves', 'v1', 'v2', { delta: 1, new_class_min_recall: 0 }));
    if (result.outcome !== 'decided') throw new Error(JSON.stringify(result));
    const { decision } = result;
    expect(decision.class_change).toMatchObject({ rule: 'classes_added', added: ['cross'], removed: [], shared: ['circle', 'square', 'triangle'], min_recall: 0, manual_approval: false });
    // the holdout's rows of the three shared classes: one of each class of 10
    expect(decision.class_change!.compared_rows).toBe(3);
    expect(decision.holdout_rows).toBe(4);
    expect(decision.class_change!.new_class_recall.cross).toEqual(expect.any(Number));
    expect(decision.checks!.map((c) => c.name)).toEqual(['new_class_recall', 'delta']);
    expect(decision.bootstrap).toMatchObject({ metric: 'accuracy', resamples: 1000 });
    expect(decision.bootstrap!.difference).toBeCloseTo(decision.candidate_metric! - decision.production_metric!, 10);
    expect(decision).toMatchObject({ promote: true, awaiting_approval: false, production_version: 'v1' });
    expect(await storeOf(ctx).models.productionVersion('leaves')).toBe('v2');
  });

  it('keeps a candidate that lost a class waiting for approval, though promotion is automatic', async () => {
    await storedVersion('herbs', 'v1', 4);
    await storedVersion('herbs', 'v2', 3);
    const result = await completeTraining(ctx, await runOf('herbs', 'v1', 'v2', { delta: 1 }));
    if (result.outcome !== 'decided') throw new Error(JSON.stringify(result));
    expect(result.decision.class_change).toMatchObject({ rule: 'classes_removed', removed: ['cross'], added: [], manual_approval: true });
    expect(result.decision).toMatchObject({ promote: true, awaiting_approval: true, mode: 'manual' });
    expect(await storeOf(ctx).models.productionVersion('herbs')).toBe('v1');
    expect((await storeOf(ctx).models.get('herbs'))!.aliases).toEqual({ challenger: 'v2' });
  });
});
