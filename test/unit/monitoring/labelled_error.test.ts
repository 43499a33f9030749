import { assessError } from '../../../shared/monitoring/labelled_error';

const settings = { mae_rise: 0.25, min_labels: 4 };

test('the MAE and RMSE of the served values against the labels, judged against the test MAE plus its allowed rise', () => {
  const within = assessError([1, 2, 3, 4], [1.5, 2.5, 2.5, 4.5], 0.45, settings);
  expect(within).toMatchObject({ labelled: 4, mae: 0.5, rmse: 0.5, reference_mae: 0.45, degraded: false });
  expect(within.summary).toMatch(/^live MAE 0\.5000 \(RMSE 0\.5000\) on 4 labelled predictions, test MAE 0\.4500, limit 0\.5625 \(\+25%\)$/);
  const beyond = assessError([1, 2, 3, 4], [1, 2, 3, 6.4], 0.45, settings);
  expect(beyond.mae).toBeCloseTo(0.6, 12);
  expect(beyond.rmse).toBeCloseTo(1.2, 12);
  expect(beyond.degraded).toBe(true);
  expect(beyond.summary).toMatch(/: degraded$/);
});

test('undecided below min_labels, and without a test MAE to compare with', () => {
  expect(assessError([1, 2, 3], [9, 9, 9], 0.1, settings)).toMatchObject({ labelled: 3, mae: null, degraded: false, summary: 'error not judged: 3 of the 4 labels needed' });
  const unknown = assessError([1, 2, 3, 4], [9, 9, 9, 9], null, settings);
  expect(unknown).toMatchObject({ mae: 6.5, degraded: false });
  expect(unknown.summary).toMatch(/no test MAE to compare with$/);
});
