import { estimatedErrorText } from '../../../cli/drift_output';
import { estimateError } from '../../../shared/monitoring/estimated_error';

describe('the estimated error of a regression, as mloop drift prints it', () => {
  const reference = { rows: 2000, mae: 1.42, rmse: 1.9, estimated_mae: 1.43, residual_sd: 1.3 };

  it('says the estimate, its interval and limit before labels, and the realised MAE and RMSE once they came back', () => {
    const estimate = estimateError(Array.from({ length: 1000 }, () => 3.1), reference, { estimated_mae_rise: 0.25 });
    expect(estimate.degraded).toBe(true);
    expect(estimatedErrorText(estimate)).toBe(
      'error before labels: estimated MAE 3.100 [3.019, 3.181] from 1000 served rows before labels; test MAE 1.420 (estimated there 1.430), limit 1.775 (+25%): degraded',
    );
    const realised = { labelled: 1000, mae: 3.2, rmse: 4.01, degraded: true, recorded_at: '2026-03-04T13:00:00.000Z' };
    expect(estimatedErrorText({ ...estimate, realised })).toMatch(/; realised once 1000 values came back: MAE 3\.2\d*, RMSE 4\.01\d* \(degraded\)$/);
  });

  it('does not alarm at or under the limit', () => {
    expect(estimateError([1.7, 1.8], reference, { estimated_mae_rise: 0.25 }).degraded).toBe(false);
  });
});
