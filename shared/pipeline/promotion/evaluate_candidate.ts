import { MloopError } from '../../core/errors';
import type { Manifest } from '../../ml/manifest';
import { isClustering } from '../../ml/models/family';
import { family } from '../../ml/models/registry';
import { CLUSTERING_METRIC, taskMetric } from '../../ml/task_metric';
import { openScorer, readHoldout, type HoldoutRow } from '../artifacts/model_files';
import type { Context } from '../context';
import type { PromotionPolicy } from '../decisions/decide';
import type { RunDoc } from '../store/documents';
import { scorerMetric, type HoldoutMetric, type HoldoutTarget } from './holdout_metric';
import { measureServingCost, type ServingCost } from './serving_cost';
import { sliceColumnsOf } from './slice_columns';
import type { SliceColumn } from '../../ml/slice_metrics';

/** What does not depend on the production version: the candidate's metric on its holdout, and its serving cost. */
export interface Candidate {
  holdout: HoldoutRow[];
  task: Manifest['task'];
  target: HoldoutTarget;
  metric: HoldoutMetric;
  serving: ServingCost;
  /** The holdout's slice columns (mloop.json's, or the categoricals of few values), and named ones it lacks. */
  sliceColumns: SliceColumn[];
  missingSliceColumns: string[];
}

/**
 * The candidate scored on its own held-out rows and timed as a live request would use it, with one
 * scorer opened for both: loading an ONNX session is the expensive part.
 */
export async function evaluateCandidate(ctx: Context, run: RunDoc, policy: PromotionPolicy): Promise<Candidate> {
  const holdout = await readHoldout(ctx, run.model, run.model_version);
  const scorer = await openScorer(ctx, run.model, run.model_version);
  try {
    const { manifest } = scorer;
    // a clustering is judged on its silhouette, whatever promotion.metric says: it has no target to be scored on
    const judgedOn = isClustering(family(manifest.algorithm)) ? CLUSTERING_METRIC : taskMetric(manifest.task, policy.metric);
    const target = { task: manifest.task, classes: manifest.classes, metric: judgedOn };
    const metric = await scorerMetric(scorer, run.model_version, holdout, target);
    if (metric.error) {
      throw new MloopError('failed_precondition', `candidate ${run.model_version} cannot score its own holdout: ${metric.error}`);
    }
    const serving = await measureServingCost(ctx, run.model, run.model_version, scorer, holdout);
    const slices = sliceColumnsOf(holdout, manifest.features, policy.slices);
    return { holdout, task: manifest.task, target, metric, serving, sliceColumns: slices.columns, missingSliceColumns: slices.missing };
  } finally {
    await scorer.release();
  }
}
