import { bestOf, metricDirection } from '../../../shared/ml/metric_direction';

describe('which way a metric is better', () => {
  it('reads scores as higher, errors and losses as lower, counts and the threshold as neither', () => {
    for (const name of ['auc', 'pr_auc', 'accuracy', 'macro_f1', 'f1', 'precision', 'recall', 'r2', 'top_3_accuracy', 'holdout_auc', 'anomaly_auc']) expect(metricDirection(name)).toBe('higher');
    for (const name of ['logloss', 'rmse', 'mae', 'val_loss', 'holdout_rmse']) expect(metricDirection(name)).toBe('lower');
    for (const name of ['rows', 'positives', 'tp', 'fp', 'tn', 'fn', 'threshold']) expect(metricDirection(name)).toBeNull();
  });

  it('marks the best defined value, both on a tie for first, and none when nothing is better', () => {
    expect(bestOf('higher', [0.9, 0.95, 0.93])).toEqual([1]);
    expect(bestOf('lower', [0.3, 0.2, null])).toEqual([1]);
    expect(bestOf('higher', [0.95, 0.9, 0.95])).toEqual([0, 2]);
    expect(bestOf('higher', [0.9, 0.9])).toEqual([]);
    expect(bestOf('higher', [0.9, null])).toEqual([]);
    expect(bestOf(null, [668, 700])).toEqual([]);
  });
});
