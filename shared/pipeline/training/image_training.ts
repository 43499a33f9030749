import { MloopError } from '../../core/errors';
import type { ImageTrainingData } from '../../data/images/image_spec';
import { evaluateImages, type ImageEvaluation } from '../../ml/image_metrics';
import { isImageFamily, type WarmStart } from '../../ml/models/family';
import { family } from '../../ml/models/registry';
import { trainImages } from '../../ml/models/trainers';
import { taskMetric, type TaskMetric } from '../../ml/task_metric';
import type { ImageTrainedModel } from '../../ml/trained_model';
import type { ProgressSink } from './train_core';
import type { PlanDefaults, RunPlan } from './training_plan';

/**
 * What an image run trains, and the training itself: the image counterpart of bindPlan and
 * trainCandidate. An image family reads preprocessed images, so the table's plan (target checks,
 * thresholds, the anomaly detector) does not apply; the promotion metric is a multiclass one.
 */
export interface ImagePlan {
  algorithm: string;
  params: Record<string, unknown>;
  metric: TaskMetric;
}

export interface ImageCandidate {
  trained: ImageTrainedModel;
  evaluation: ImageEvaluation;
  /** The model's probabilities on the test split [n × K], as the evaluation read them. */
  test: Float32Array;
}

export function bindImagePlan(plan: RunPlan, defaults: PlanDefaults): ImagePlan {
  const chosen = family(plan.algorithm);
  if (!isImageFamily(chosen)) {
    throw new MloopError('invalid_argument', `${chosen.name} trains on a table's columns, not on images: use an image family (cnn) for an archive of images`);
  }
  if (plan.trials.length > 1) {
    throw new MloopError('invalid_argument', `a search over ${chosen.name}'s parameters is not supported for images yet: remove "search" from mloop.json`);
  }
  if (plan.unsupervised) throw new MloopError('invalid_argument', 'an anomaly detector beside an image model is not supported: remove "unsupervised" from mloop.json');
  return {
    algorithm: chosen.name,
    params: {
      ...(plan.seed !== null ? { seed: plan.seed } : {}),
      ...(chosen.takesEpochs ? { epochs: plan.epochs ?? defaults.epochs } : {}),
      ...(chosen.takesBackend ? { backend: defaults.backend } : {}),
      ...plan.params,
      ...(plan.trials[0] ?? {}),
    },
    metric: taskMetric('multiclass', plan.metric),
  };
}

export async function trainImageCandidate(data: ImageTrainingData, plan: ImagePlan, onProgress?: ProgressSink, warmStart?: WarmStart): Promise<ImageCandidate> {
  const chosen = family(plan.algorithm);
  const trained = await trainImages(chosen.name, data, plan.params, (p) => onProgress?.({ unit: chosen.progressUnit, ...p }), warmStart ? { warmStart } : {});
  const test = trained.predict(data.test.x, data.test.n);
  return { trained, evaluation: evaluateImages(data.test.y, test, data.classes), test };
}
