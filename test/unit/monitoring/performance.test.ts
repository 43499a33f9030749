import { assessPerformance } from '../../../shared/monitoring/performance';

const settings = { auc_drop: 0.05, min_labels: 6 };

describe('performance on the labelled window', () => {
  test('not judged below min_labels, nor with one class only', () => {
    expect(assessPerformance([1, 0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2, 0.7], 0.9, settings)).toMatchObject({ labelled: 5, auc: null, degraded: false, summary: 'performance not judged: 5 of the 6 labels needed' });
    expect(assessPerformance([1, 1, 1, 1, 1, 1], [0.9, 0.1, 0.8, 0.2, 0.7, 0.3], 0.9, settings)).toMatchObject({ positives: 6, auc: null, degraded: false, summary: 'performance not judged: labels of one class only' });
  });

  test('ROC AUC and PR AUC of the live scores; degraded only when AUC falls more than auc_drop below the test AUC', () => {
    const labels = [1, 0, 1, 0, 0, 1, 0, 0];
    const scores = [0.9, 0.3, 0.4, 0.5, 0.1, 0.8, 0.2, 0.35];
    // positives 0.9, 0.8, 0.4 against negatives 0.5, 0.35, 0.3, 0.2, 0.1: 14 of 15 pairs ranked right
    const live = 14 / 15;
    const ok = assessPerformance(labels, scores, live + 0.049, settings);
    expect(ok.auc).toBeCloseTo(live, 12);
    // average precision: precision 1, 1 and 3/4 at the three positives
    expect(ok.pr_auc).toBeCloseTo((1 + 1 + 3 / 4) / 3, 12);
    expect(ok.degraded).toBe(false);
    expect(assessPerformance(labels, scores, live + 0.051, settings).degraded).toBe(true);
    expect(assessPerformance(labels, scores, null, settings)).toMatchObject({ degraded: false, reference_auc: null, unusable_labels: 0 });
  });

  test('labels that were neither 0 nor 1 are counted and said, judged or not', () => {
    const judged = assessPerformance([1, 0, 1, 0, 0, 1], [0.9, 0.3, 0.8, 0.2, 0.1, 0.7], 0.9, settings, 3);
    expect(judged).toMatchObject({ labelled: 6, unusable_labels: 3, auc: 1 });
    expect(judged.summary).toMatch(/; 3 labels ignored \(a binary model's labels are 0 or 1\)$/);
    expect(assessPerformance([1], [0.9], 0.9, settings, 1).summary).toBe("performance not judged: 1 of the 6 labels needed; 1 label ignored (a binary model's labels are 0 or 1)");
  });
});
