import { MloopError } from '../core/errors';
import type { Task } from '../data/prepare';
import { prAuc, rocAuc } from './metrics';
import { evaluateMulticlass, macroAuc, multiclassLogLoss } from './multiclass_metrics';
import { evaluateRegression } from './regression_metrics';

/**
 * The one number per task that picks the best sweep trial on validation and decides promotion on the
 * holdout, with the direction that is better.
 */
export type TaskMetricName = 'auc' | 'pr_auc' | 'macro_auc' | 'logloss' | 'rmse' | 'accuracy' | 'macro_f1' | 'silhouette';

export interface TaskMetric {
  name: TaskMetricName;
  higherIsBetter: boolean;
  /**
   * An error measured in the target's units (RMSE) has no scale-free margin: its promotion delta is a
   * fraction of production's value. Scores in [0, 1] and logloss take an absolute delta.
   */
  relativeDelta: boolean;
}

const METRICS: Record<TaskMetricName, TaskMetric> = {
  auc: { name: 'auc', higherIsBetter: true, relativeDelta: false },
  // Average precision: with rare positives ROC AUC is flattered by the many easy negatives.
  pr_auc: { name: 'pr_auc', higherIsBetter: true, relativeDelta: false },
  macro_auc: { name: 'macro_auc', higherIsBetter: true, relativeDelta: false },
  logloss: { name: 'logloss', higherIsBetter: false, relativeDelta: false },
  rmse: { name: 'rmse', higherIsBetter: false, relativeDelta: true },
  // what an image classifier is judged on: the share right, or each class counted alike
  accuracy: { name: 'accuracy', higherIsBetter: true, relativeDelta: false },
  macro_f1: { name: 'macro_f1', higherIsBetter: true, relativeDelta: false },
  // a clustering's, whatever the target: how well separated its clusters are, in [−1, 1]
  silhouette: { name: 'silhouette', higherIsBetter: true, relativeDelta: false },
};

/** What picks and promotes a clustering model (kmeans): it never reads the target. */
export const CLUSTERING_METRIC = METRICS.silhouette;

const ALLOWED: Record<Task, TaskMetricName[]> = {
  binary: ['auc', 'pr_auc'],
  multiclass: ['macro_auc', 'logloss', 'accuracy', 'macro_f1'],
  regression: ['rmse'],
};

/**
 * The task's default (the first allowed) unless another is preferred. "auc", which mloop.json's
 * promotion.metric defaults to, names each task's default: AUC, macro AUC, and RMSE for a regression.
 */
export function taskMetric(task: Task, preferred?: string): TaskMetric {
  if (preferred === undefined || preferred === 'auc') return METRICS[ALLOWED[task][0]];
  const allowed = ALLOWED[task].find((m) => m === preferred);
  if (!allowed) {
    throw new MloopError('invalid_argument', `metric "${preferred}" does not apply to a ${task} model (use ${ALLOWED[task].join(' or ')})`);
  }
  return METRICS[allowed];
}

export function isBetter(metric: TaskMetric, value: number, than: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (!Number.isFinite(than)) return true;
  return metric.higherIsBetter ? value > than : value < than;
}

/** The metric of predictions as the model makes them ([n], or [n × K] for multiclass). */
export function measure(metric: TaskMetric, y: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number {
  switch (metric.name) {
    case 'auc':
      return rocAuc(y, predicted);
    case 'pr_auc':
      return prAuc(y, predicted);
    case 'macro_auc':
      return macroAuc(y, predicted, classes);
    case 'logloss':
      return multiclassLogLoss(y, predicted, classes);
    case 'rmse':
      return evaluateRegression(y, predicted).rmse;
    case 'accuracy':
      return evaluateMulticlass(y, predicted, classes).accuracy;
    case 'macro_f1':
      return evaluateMulticlass(y, predicted, classes).macro_f1;
    case 'silhouette':
      // measured on the rows' features, not on a target: the model reports it (TrainedModel.metrics)
      return NaN;
  }
}
