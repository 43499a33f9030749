import { headlineMetrics, headlineText } from '../../../shared/ml/headline_metrics';

const text = (metrics: Parameters<typeof headlineMetrics>[0], digits?: number) => headlineText(headlineMetrics(metrics), digits);

describe('the headline metrics of a listing', () => {
  it('is the AUC of a binary model, though it has an accuracy too', () => {
    expect(headlineMetrics({ auc: 0.91, pr_auc: 0.4, accuracy: 0.97 })).toEqual([{ name: 'auc', value: 0.91 }]);
    expect(text({ auc: 0.91234, accuracy: 0.97 })).toBe('auc 0.9123');
  });

  it('is the accuracy and macro-F1 of a classifier of several classes (an image model)', () => {
    const image = { accuracy: 0.95, macro_f1: 0.9412, macro_auc: 0.99, logloss: 0.2, top_3_accuracy: 1, rows: 90 };
    expect(headlineMetrics(image)).toEqual([{ name: 'accuracy', value: 0.95 }, { name: 'macro_f1', value: 0.9412 }]);
    expect(text(image)).toBe('accuracy 0.9500, macro_f1 0.9412');
  });

  it('is the RMSE of a regression, and says "-" for an undefined value', () => {
    expect(text({ rmse: 12.5, mae: 8 }, 2)).toBe('rmse 12.50');
    expect(headlineMetrics({ accuracy: 0.5, macro_f1: null })).toEqual([{ name: 'accuracy', value: 0.5 }, { name: 'macro_f1', value: null }]);
    expect(text({ accuracy: 0.5, macro_f1: NaN })).toBe('accuracy 0.5000, macro_f1 -');
  });

  it('is empty for a run without metrics yet', () => {
    expect(headlineMetrics(null)).toEqual([]);
    expect(text(undefined)).toBe('');
    expect(text({ rows: 10 })).toBe('');
  });
});
