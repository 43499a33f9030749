import { shouldPromote } from '../../shared/pipeline/should_promote';

describe('shouldPromote', () => {
  it('promotes the first model, when production has no metric', () => {
    expect(shouldPromote({ candidate: 0.7, production: null, delta: 0.01 }).promote).toBe(true);
    expect(shouldPromote({ candidate: 0.7, production: undefined, delta: 0.01 }).promote).toBe(true);
    expect(shouldPromote({ candidate: 0.7, production: NaN, delta: 0.01 }).promote).toBe(true);
  });

  it('promotes only when the candidate beats production by more than delta', () => {
    expect(shouldPromote({ candidate: 0.93, production: 0.9, delta: 0.01 }).promote).toBe(true);
    expect(shouldPromote({ candidate: 0.91, production: 0.9, delta: 0.01 }).promote).toBe(false);
    expect(shouldPromote({ candidate: 0.905, production: 0.9, delta: 0.01 }).promote).toBe(false);
    expect(shouldPromote({ candidate: 0.89, production: 0.9, delta: 0 }).promote).toBe(false);
    expect(shouldPromote({ candidate: 0.9000001, production: 0.9, delta: 0 }).promote).toBe(true);
  });

  it('never promotes a candidate without a usable metric', () => {
    for (const candidate of [null, undefined, NaN, Infinity]) {
      const decision = shouldPromote({ candidate, production: 0.5, delta: 0 });
      expect(decision.promote).toBe(false);
      expect(decision.reasons[0]).toMatch(/no usable auc/);
    }
    expect(shouldPromote({ candidate: NaN, production: null, delta: 0 }).promote).toBe(false);
  });

  it('explains the decision with both numbers', () => {
    const { reasons } = shouldPromote({ candidate: 0.95, production: 0.9, delta: 0.01 });
    expect(reasons.join(' ')).toContain('0.9500');
    expect(reasons.join(' ')).toContain('0.9000');
  });

  it('promotes on an error metric only when the candidate is lower by more than a fraction of production (RMSE)', () => {
    const rmse = { metric: 'rmse', higherIsBetter: false, relativeDelta: true, delta: 0.01 };
    // the bar is 10 × (1 − 0.01) = 9.9
    expect(shouldPromote({ ...rmse, candidate: 9.8, production: 10 }).promote).toBe(true);
    expect(shouldPromote({ ...rmse, candidate: 9.95, production: 10 }).promote).toBe(false);
    expect(shouldPromote({ ...rmse, candidate: 12, production: 10 }).promote).toBe(false);
    // the same margin holds in any unit: thousands of dollars or dollars
    expect(shouldPromote({ ...rmse, candidate: 9800, production: 10000 }).promote).toBe(true);
    expect(shouldPromote({ ...rmse, candidate: 9950, production: 10000 }).promote).toBe(false);
    expect(shouldPromote({ ...rmse, candidate: 12, production: null }).promote).toBe(true);
    const { reasons } = shouldPromote({ ...rmse, candidate: 9.8, production: 10 });
    expect(reasons[0]).toBe('candidate rmse 9.8000 < production 10.0000 − 0.01 × 10.0000 (gain 0.2000)');
  });

  it('promotes on log loss when lower by more than an absolute delta', () => {
    const logloss = { metric: 'logloss', higherIsBetter: false, delta: 0.02 };
    expect(shouldPromote({ ...logloss, candidate: 0.5, production: 0.53 }).promote).toBe(true);
    expect(shouldPromote({ ...logloss, candidate: 0.52, production: 0.53 }).promote).toBe(false);
    expect(shouldPromote({ ...logloss, candidate: 0.52, production: 0.53 }).reasons[0]).toMatch(/does not beat production 0\.5300 − delta 0\.02/);
  });
});
