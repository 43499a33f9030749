import { accuracy, bestF1Threshold, evaluateBinary, logLoss, prAuc, prCurve, rocAuc, rocCurve } from '../../../shared/ml/metrics';

describe('metrics', () => {
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('matches scikit-learn on its documented example', () => {
    expect(rocAuc(y, s)).toBeCloseTo(0.75, 12);
    expect(prAuc(y, s)).toBeCloseTo(0.8333333333, 9);
  });

  it('counts ties as one half (average ranks)', () => {
    expect(rocAuc([0, 1, 1, 0], [0.2, 0.2, 0.8, 0.1])).toBeCloseTo(0.875, 12);
    expect(prAuc([0, 1, 1, 0], [0.2, 0.2, 0.8, 0.1])).toBeCloseTo(0.8333333333, 9);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(prAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('computes hand-checked values', () => {
    expect(rocAuc([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5])).toBeCloseTo(0.5, 12);
    expect(prAuc([1, 0, 1, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5])).toBeCloseTo(1 / 3 + 2 / 9 + 1 / 5, 12);
    expect(rocAuc([0, 1], [0.9, 0.1])).toBe(0);
  });

  it('computes log loss as scikit-learn does, clipping certainties', () => {
    expect(logLoss([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.65])).toBeCloseTo(0.21616187468057912, 12);
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-7), 9);
  });

  it('computes accuracy at a threshold, inclusive', () => {
    expect(accuracy([0, 1, 1], [0.5, 0.5, 0.2])).toBeCloseTo(1 / 3, 12);
    expect(accuracy([0, 1, 1], [0.5, 0.5, 0.2], 0.6)).toBeCloseTo(1 / 3, 12);
    expect(accuracy([0, 1, 1], [0.5, 0.5, 0.2], 0.1)).toBeCloseTo(2 / 3, 12);
  });

  it('returns NaN where a metric is undefined', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 0], [0.2, 0.3])).toBeNaN();
    expect(prAuc([0, 0], [0.2, 0.3])).toBeNaN();
    expect(logLoss([], [])).toBeNaN();
    expect(evaluateBinary([0, 0], [0.1, 0.7])).toEqual({ auc: NaN, pr_auc: NaN, logloss: expect.any(Number), accuracy: 0.5, positives: 0, rows: 2 });
    expect(() => rocAuc([0, 1], [0.1])).toThrow(RangeError);
  });

  it('draws the ROC and PR curves with scikit-learn thresholds', () => {
    expect(rocCurve(y, s)).toEqual([
      { fpr: 0, tpr: 0, threshold: Infinity },
      { fpr: 0, tpr: 0.5, threshold: 0.8 },
      { fpr: 0.5, tpr: 0.5, threshold: 0.4 },
      { fpr: 0.5, tpr: 1, threshold: 0.35 },
      { fpr: 1, tpr: 1, threshold: 0.1 },
    ]);
    expect(prCurve(y, s)).toEqual([
      { recall: 0.5, precision: 1, threshold: 0.8 },
      { recall: 0.5, precision: 0.5, threshold: 0.4 },
      { recall: 1, precision: 2 / 3, threshold: 0.35 },
      { recall: 1, precision: 0.5, threshold: 0.1 },
    ]);
  });

  it('keeps curves to at most 200 points, from end to end', () => {
    const labels = Array.from({ length: 5000 }, (_, i) => i % 3 === 0 ? 1 : 0);
    const scores = labels.map((l, i) => l * 0.3 + (i % 997) / 1000);
    const roc = rocCurve(labels, scores);
    expect(roc).toHaveLength(200);
    expect(roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(roc[199]).toMatchObject({ fpr: 1, tpr: 1 });
    expect(prCurve(labels, scores).length).toBeLessThanOrEqual(200);
  });

  it('finds the threshold with the best F1', () => {
    expect(bestF1Threshold(y, s)).toEqual({ threshold: 0.35, f1: 0.8 });
    expect(bestF1Threshold([0, 0], [0.1, 0.2]).f1).toBeNaN();
  });

  it('summarises a binary evaluation', () => {
    expect(evaluateBinary(y, s)).toEqual({ auc: 0.75, pr_auc: expect.closeTo(0.8333333, 6), logloss: expect.any(Number), accuracy: 0.75, positives: 2, rows: 4 });
  });
});
