import { evaluate } from '../../../shared/ml/evaluate';
import { confusionAt, metricsAt, thresholdForRecall } from '../../../shared/ml/metrics';
import { argmaxRows, confusionMatrix, evaluateMulticlass, macroAuc } from '../../../shared/ml/multiclass_metrics';
import { evaluateRegression } from '../../../shared/ml/regression_metrics';
import { isBetter, measure, taskMetric } from '../../../shared/ml/task_metric';

// Expected values are scikit-learn 1.9's on the same inputs.
describe('binary metrics at a threshold', () => {
  const y = [0, 0, 1, 1, 0, 1];
  const s = [0.1, 0.4, 0.35, 0.8, 0.6, 0.9];

  it('counts the confusion matrix and precision, recall, F1 at a threshold, inclusive', () => {
    expect(confusionAt(y, s, 0.5)).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    const m = metricsAt(y, s, 0.5);
    expect([m.precision, m.recall, m.f1]).toEqual([2 / 3, 2 / 3, 2 / 3]);
    expect(confusionAt(y, s, 0.6)).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(metricsAt(y, s, 0.95)).toMatchObject({ tp: 0, precision: NaN, recall: 0, f1: 0 });
  });

  it('finds the most precise threshold that reaches a target recall', () => {
    expect(thresholdForRecall(y, s, 1 / 3)).toEqual({ threshold: 0.9, recall: 1 / 3 });
    expect(thresholdForRecall(y, s, 0.5)).toEqual({ threshold: 0.8, recall: 2 / 3 });
    expect(thresholdForRecall(y, s, 1)).toEqual({ threshold: 0.35, recall: 1 });
    expect(() => thresholdForRecall(y, s, 0)).toThrow(RangeError);
  });

  it('evaluates on test at the threshold chosen on validation', () => {
    const validation = { y: [0, 1, 0, 1], predicted: [0.2, 0.7, 0.65, 0.9] };
    const test = { y, predicted: s };
    const maxF1 = evaluate('binary', ['ok', 'fraud'], validation, test);
    // best F1 on validation is at 0.7 (both positives, no negative)
    expect(maxF1.threshold).toBe(0.7);
    expect(maxF1.metrics).toMatchObject({ threshold: 0.7, tp: 2, fp: 0, tn: 3, fn: 1, precision: 1, recall: 2 / 3 });
    expect(maxF1.curves.confusion).toEqual({ labels: ['ok', 'fraud'], matrix: [[3, 0], [1, 2]] });
    expect(maxF1.curves.roc?.length).toBeGreaterThan(2);
    const recall = evaluate('binary', ['ok', 'fraud'], validation, test, { rule: { kind: 'recall', target: 1 } });
    expect(recall.threshold).toBe(0.7);
    const half = evaluate('binary', ['ok', 'fraud'], validation, test, { rule: { kind: 'recall', target: 0.5 } });
    expect(half.threshold).toBe(0.9);
    expect(evaluate('binary', null, validation, test, { probabilities: false }).metrics).not.toHaveProperty('logloss');
  });
});

describe('multiclass metrics', () => {
  const y = [0, 1, 2, 2, 1, 0, 2];
  const P = [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4, 0.5, 0.4, 0.1, 0.6, 0.3, 0.1, 0.2, 0.6, 0.2];

  it('matches scikit-learn: accuracy, macro F1, log loss, one-vs-rest macro AUC, confusion matrix', () => {
    const m = evaluateMulticlass(y, P, 3);
    expect(m.accuracy).toBeCloseTo(0.7142857142857143, 12);
    expect(m.macro_f1).toBeCloseTo(0.7, 12);
    expect(m.logloss).toBeCloseTo(0.7876418211732956, 12);
    expect(m.macro_auc).toBeCloseTo(0.9055555555555556, 12);
    expect(confusionMatrix(y, P, 3)).toEqual([[2, 0, 0], [1, 1, 0], [0, 1, 2]]);
    expect(Array.from(argmaxRows([0.5, 0.5, 0.2, 0.8], 2, 2))).toEqual([0, 1]);
  });

  it('averages AUC over the classes where it is defined, and checks shapes', () => {
    // class 2 never occurs: its one-vs-rest AUC is undefined and left out
    expect(macroAuc([0, 1, 0, 1], [0.9, 0.1, 0, 0.2, 0.8, 0, 0.6, 0.4, 0, 0.3, 0.7, 0], 3)).toBe(1);
    expect(() => evaluateMulticlass([0, 1], [0.5, 0.5], 2)).toThrow(/need 4 probabilities/);
    expect(evaluateMulticlass([], [], 3)).toMatchObject({ accuracy: NaN, logloss: NaN, rows: 0 });
  });
});

describe('regression metrics', () => {
  it('matches scikit-learn: RMSE, MAE, R²', () => {
    const m = evaluateRegression([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(m.rmse).toBeCloseTo(0.6123724356957945, 12);
    expect(m.mae).toBeCloseTo(0.5, 12);
    expect(m.r2).toBeCloseTo(0.9486081370449679, 12);
    expect(evaluateRegression([1, 1], [1, 2]).r2).toBeNaN();
  });
});

describe('the metric of a task', () => {
  it('is AUC, macro AUC or log loss, RMSE, each with its direction', () => {
    expect(taskMetric('binary')).toMatchObject({ name: 'auc', higherIsBetter: true });
    expect(taskMetric('multiclass')).toMatchObject({ name: 'macro_auc', higherIsBetter: true });
    expect(taskMetric('multiclass', 'logloss')).toMatchObject({ name: 'logloss', higherIsBetter: false });
    expect(taskMetric('regression')).toMatchObject({ name: 'rmse', higherIsBetter: false, relativeDelta: true });
    // mloop.json's default promotion metric names each task's own default
    expect(taskMetric('regression', 'auc').name).toBe('rmse');
    expect(() => taskMetric('binary', 'rmse')).toThrow(/metric "rmse" does not apply to a binary model/);
  });

  it('judges a multiclass (image) model on accuracy or macro F1 when asked, higher being better', () => {
    const accuracy = taskMetric('multiclass', 'accuracy');
    expect(accuracy).toMatchObject({ name: 'accuracy', higherIsBetter: true, relativeDelta: false });
    expect(taskMetric('multiclass', 'macro_f1')).toMatchObject({ name: 'macro_f1', higherIsBetter: true });
    expect(() => taskMetric('binary', 'accuracy')).toThrow(/metric "accuracy" does not apply to a binary model/);
    // rows of [P(a), P(b), P(c)]: the first two right, the third predicts a for c
    const probabilities = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.5, 0.1, 0.4];
    expect(measure(accuracy, [0, 1, 2], probabilities, 3)).toBeCloseTo(2 / 3, 12);
    // F1: a 2/3 (precision 1/2, recall 1), b 1, c 0 → mean 5/9
    expect(measure(taskMetric('multiclass', 'macro_f1'), [0, 1, 2], probabilities, 3)).toBeCloseTo(5 / 9, 12);
  });

  it('measures predictions and compares values in its direction, never preferring an undefined one', () => {
    const rmse = taskMetric('regression');
    expect(measure(rmse, [1, 2], [1, 4], 0)).toBeCloseTo(Math.sqrt(2), 12);
    expect(isBetter(rmse, 1, 2)).toBe(true);
    expect(isBetter(taskMetric('binary'), 0.7, 0.8)).toBe(false);
    expect(isBetter(rmse, NaN, 2)).toBe(false);
    expect(isBetter(rmse, 3, NaN)).toBe(true);
  });
});
