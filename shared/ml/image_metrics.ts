import type { Labels } from './metrics';
import { confusionMatrix, evaluateMulticlass, type MulticlassMetrics } from './multiclass_metrics';

/**
 * An image classifier's evaluation: the multiclass metrics, top-k accuracy, and what a person reads to
 * see where it errs — each class's precision and recall, and the confusion matrix with class names.
 * Probabilities are row-major [n × K], labels class indices; NaN where a value is undefined.
 */
export type ClassReport = { class: string; precision: number; recall: number; f1: number; support: number };

export type ImageEvaluation = {
  /** Flat numbers, as a manifest's metrics: the multiclass ones, and top_<k>_accuracy for each k below K. */
  metrics: MulticlassMetrics & Record<string, number>;
  per_class: ClassReport[];
  /** matrix[actual][predicted], rows and columns in `classes` order. */
  confusion: { classes: string[]; matrix: number[][] };
};

/**
 * The share of rows whose class is among the k most probable. A class tied with the k-th counts as
 * among them: the model did not rank it lower.
 */
export function topKAccuracy(y: Labels, probabilities: ArrayLike<number>, classes: number, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k accuracy needs k ≥ 1, got ${k}`);
  if (probabilities.length !== y.length * classes) throw new RangeError(`${y.length} labels of ${classes} classes need ${y.length * classes} probabilities, got ${probabilities.length}`);
  if (y.length === 0) return NaN;
  let right = 0;
  for (let i = 0; i < y.length; i++) {
    const own = probabilities[i * classes + y[i]];
    let above = 0;
    for (let c = 0; c < classes; c++) if (probabilities[i * classes + c] > own) above++;
    if (above < k) right++;
  }
  return right / y.length;
}

function perClass(matrix: number[][], names: readonly string[]): ClassReport[] {
  return matrix.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((sum, r) => sum + r[k], 0);
    return {
      class: names[k],
      precision: predicted > 0 ? tp / predicted : NaN,
      recall: support > 0 ? tp / support : NaN,
      f1: support + predicted > 0 ? (2 * tp) / (support + predicted) : NaN,
      support,
    };
  });
}

/** `topK`: the k of top-k accuracy; a k of K or more is left out, as every row would count. */
export function evaluateImages(y: Labels, probabilities: ArrayLike<number>, classes: readonly string[], topK: readonly number[] = [3, 5]): ImageEvaluation {
  const K = classes.length;
  const matrix = confusionMatrix(y, probabilities, K);
  const topMetrics = Object.fromEntries(topK.filter((k) => k < K).map((k) => [`top_${k}_accuracy`, topKAccuracy(y, probabilities, K, k)]));
  return {
    metrics: { ...evaluateMulticlass(y, probabilities, K), ...topMetrics },
    per_class: perClass(matrix, classes),
    confusion: { classes: [...classes], matrix },
  };
}
