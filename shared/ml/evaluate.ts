import type { Task } from '../data/prepare';
import type { ClassReport } from './image_metrics';
import { bestF1Threshold, evaluateBinary, metricsAt, prCurve, rocCurve, thresholdForRecall, type PrPoint, type RocPoint } from './metrics';
import { confusionMatrix, evaluateMulticlass } from './multiclass_metrics';
import type { Misclassified } from './misclassified';
import { evaluateRegression } from './regression_metrics';

/**
 * A model's test metrics for its task, plus the curves a report plots. The metrics are flat numbers
 * (they travel in events and run documents); the curves are larger and go to their own artifact.
 */
export type ThresholdRule = { kind: 'max_f1' } | { kind: 'recall'; target: number };

export interface Curves {
  roc?: RocPoint[];
  pr?: PrPoint[];
  /** matrix[actual][predicted], rows and columns in `labels` order. */
  confusion?: { labels: string[]; matrix: number[][] };
  /** An image classifier's: each class's precision, recall and F1 (an undefined one reads back as null). */
  per_class?: ClassReport[];
  /** An image classifier's most confident mistakes on test, in the order of their thumbnails. */
  misclassified?: Misclassified[];
}

export interface Evaluation {
  metrics: Record<string, number>;
  /** Binary: label = score ≥ threshold. */
  threshold: number | null;
  curves: Curves;
}

export interface SplitPredictions {
  y: ArrayLike<number>;
  /** As the model predicts: [n] for binary and regression, [n × K] for multiclass. */
  predicted: ArrayLike<number>;
}

/**
 * Binary: the threshold is chosen on validation (best F1, or the target recall) and applied to test,
 * since class weighting moves scores away from calibrated probabilities. `probabilities` false marks
 * scores that are not (an anomaly score): no log loss for those.
 */
export function evaluate(
  task: Task,
  classes: readonly string[] | null,
  validation: SplitPredictions,
  test: SplitPredictions,
  options: { rule?: ThresholdRule; probabilities?: boolean } = {},
): Evaluation {
  if (task === 'regression') return { metrics: { ...evaluateRegression(test.y, test.predicted) }, threshold: null, curves: {} };
  if (task === 'multiclass') {
    const K = classes?.length ?? 0;
    return {
      metrics: { ...evaluateMulticlass(test.y, test.predicted, K) },
      threshold: null,
      curves: { confusion: { labels: [...(classes ?? [])], matrix: confusionMatrix(test.y, test.predicted, K) } },
    };
  }
  const rule = options.rule ?? { kind: 'max_f1' };
  const threshold =
    rule.kind === 'recall' ? thresholdForRecall(validation.y, validation.predicted, rule.target).threshold : bestF1Threshold(validation.y, validation.predicted).threshold;
  const { logloss, ...binary } = evaluateBinary(test.y, test.predicted, threshold);
  const at = metricsAt(test.y, test.predicted, threshold);
  return {
    metrics: { ...binary, ...(options.probabilities === false ? {} : { logloss }), ...at, threshold },
    threshold,
    curves: {
      roc: rocCurve(test.y, test.predicted),
      pr: prCurve(test.y, test.predicted),
      confusion: { labels: [...(classes ?? ['0', '1'])], matrix: [[at.tn, at.fp], [at.fn, at.tp]] },
    },
  };
}
