import { evaluateImages, topKAccuracy } from '../../../shared/ml/image_metrics';

// six images of four classes, worked out by hand below
const CLASSES = ['cat', 'dog', 'bird', 'fish'];
const Y = [0, 0, 1, 2, 2, 2];
const P = Float32Array.from([
  [0.6, 0.2, 0.1, 0.1], // cat → cat
  [0.3, 0.4, 0.2, 0.1], // cat → dog, second
  [0.1, 0.7, 0.1, 0.1], // dog → dog
  [0.2, 0.5, 0.25, 0.05], // bird → dog, second
  [0.1, 0.2, 0.3, 0.4], // bird → fish, second
  [0.4, 0.35, 0.2, 0.05], // bird → cat, third
].flat());

describe('image classifier metrics', () => {
  it('computes accuracy, macro-F1, per-class precision and recall, the named confusion matrix and top-k', () => {
    const { metrics, per_class, confusion } = evaluateImages(Y, P, CLASSES);
    expect(confusion).toEqual({
      classes: CLASSES,
      matrix: [
        [1, 1, 0, 0],
        [0, 1, 0, 0],
        [1, 1, 0, 1],
        [0, 0, 0, 0],
      ],
    });
    expect(metrics.accuracy).toBeCloseTo(2 / 6, 12);
    // cat 0.5, dog 0.5, bird 0 (never predicted), fish 0 (predicted, never true): as scikit-learn's macro F1
    expect(metrics.macro_f1).toBeCloseTo(0.25, 12);
    expect(metrics.top_3_accuracy).toBe(1);
    // k of K or more would be 1 for any model: not reported
    expect(metrics).not.toHaveProperty('top_5_accuracy');
    expect(metrics.rows).toBe(6);
    expect(Number.isFinite(metrics.logloss) && Number.isFinite(metrics.macro_auc)).toBe(true);
    expect(per_class).toEqual([
      { class: 'cat', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { class: 'dog', precision: 1 / 3, recall: 1, f1: 0.5, support: 1 },
      { class: 'bird', precision: NaN, recall: 0, f1: 0, support: 3 },
      { class: 'fish', precision: 0, recall: NaN, f1: 0, support: 0 },
    ]);
  });

  it('counts a row in the top k when its class ranks k-th or better, ties counting for it', () => {
    expect(topKAccuracy(Y, P, 4, 1)).toBeCloseTo(2 / 6, 12);
    expect(topKAccuracy(Y, P, 4, 2)).toBeCloseTo(5 / 6, 12);
    expect(topKAccuracy(Y, P, 4, 3)).toBe(1);
    expect(topKAccuracy([1], [0.5, 0.5, 0], 3, 1)).toBe(1);
    expect(topKAccuracy([], [], 3, 1)).toBeNaN();
    expect(() => topKAccuracy(Y, P, 4, 0)).toThrow(RangeError);
    expect(() => topKAccuracy(Y, P.subarray(1), 4, 1)).toThrow(/need 24 probabilities/);
  });

  it('asks for the k it is given', () => {
    const { metrics } = evaluateImages(Y, P, CLASSES, [2]);
    expect(metrics.top_2_accuracy).toBeCloseTo(5 / 6, 12);
    expect(metrics).not.toHaveProperty('top_3_accuracy');
  });
});
