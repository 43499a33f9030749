import { errorMessage } from '../../core/errors';
import { measure, type TaskMetric } from '../../ml/task_metric';
import type { Manifest } from '../../ml/manifest';
import type { Scorer } from '../../ml/scorer';
import { openScorer, type HoldoutRow } from '../artifacts/model_files';
import type { Context } from '../context';
import { holdoutSilhouette } from './holdout_silhouette';

/**
 * A stored model version's task metric on the candidate's held-out rows, scored here with onnxruntime
 * so that champion and challenger are measured the same way. Multiclass probabilities are lined up on
 * the candidate's classes: a class the other model never saw gets probability 0 from it.
 */
export interface HoldoutTarget {
  task: Manifest['task'];
  /** The candidate's classes (multiclass), in which the rows' labels are counted. */
  classes: string[] | null;
  metric: TaskMetric;
}

/** `predicted` are the model's outputs on the rows, lined up as the metric read them (for a paired bootstrap). */
export type HoldoutMetric = { value: number | null; error?: string; predicted?: Float32Array; classes?: string[] | null };

function aligned(manifest: Manifest, scores: Float32Array, n: number, classes: string[]): Float32Array {
  const own = manifest.classes!;
  const columns = classes.map((c) => own.indexOf(c));
  const out = new Float32Array(n * classes.length);
  for (let i = 0; i < n; i++) {
    columns.forEach((k, j) => {
      if (k >= 0) out[i * classes.length + j] = scores[i * own.length + k];
    });
  }
  return out;
}

function labelsOf(holdout: HoldoutRow[], target: HoldoutTarget): Float32Array {
  if (target.task !== 'multiclass') return Float32Array.from(holdout, (row) => Number(row.label));
  return Float32Array.from(holdout, (row) => target.classes!.indexOf(String(row.label)));
}

/** The metric of a stored version, opened for this and released after. */
export async function holdoutMetric(ctx: Context, model: string, version: string, holdout: HoldoutRow[], target: HoldoutTarget): Promise<HoldoutMetric> {
  try {
    const scorer = await openScorer(ctx, model, version);
    try {
      return await scorerMetric(scorer, version, holdout, target);
    } finally {
      await scorer.release();
    }
  } catch (err) {
    return { value: null, error: errorMessage(err) };
  }
}

/** The metric of a scorer already open (the candidate's, which is timed with the same scorer after). */
export async function scorerMetric(scorer: Scorer, version: string, holdout: HoldoutRow[], target: HoldoutTarget): Promise<HoldoutMetric> {
  try {
    const { manifest } = scorer;
    if (target.metric.name === 'silhouette') return await holdoutSilhouette(scorer, version, holdout);
    if (manifest.task !== target.task) return { value: null, error: `${version} is a ${manifest.task} model, the candidate a ${target.task} one` };
    const scores = await scorer.scoreRecords(holdout.map((row) => row.record));
    const predicted = target.task === 'multiclass' ? aligned(manifest, scores, holdout.length, target.classes!) : scores;
    const value = measure(target.metric, labelsOf(holdout, target), predicted, target.classes?.length ?? 0);
    // the model's own classes, for a decision to tell when the candidate's differ (decisions/class_change.ts)
    return { value: Number.isFinite(value) ? value : null, predicted, classes: manifest.classes };
  } catch (err) {
    return { value: null, error: errorMessage(err) };
  }
}
