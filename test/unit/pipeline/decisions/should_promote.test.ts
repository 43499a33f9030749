import { shouldPromote } from '../../../../shared/pipeline/decisions/should_promote';

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

describe('shouldPromote guardrails', () => {
  const base = { candidate: 0.95, production: 0.9, delta: 0.01 };

  it('holds the candidate to a floor in the metric\'s direction, even as the first model', () => {
    expect(shouldPromote({ ...base, floor: 0.96 })).toMatchObject({ promote: false, reasons: [expect.stringMatching(/worse than the floor 0.96/)] });
    expect(shouldPromote({ ...base, production: null, floor: 0.96 }).promote).toBe(false);
    expect(shouldPromote({ ...base, floor: 0.95 }).promote).toBe(true);
    const rmse = { metric: 'rmse', higherIsBetter: false, relativeDelta: true, delta: 0.01 };
    expect(shouldPromote({ ...rmse, candidate: 9, production: null, floor: 8 }).promote).toBe(false);
    expect(shouldPromote({ ...rmse, candidate: 9, production: null, floor: 10 }).promote).toBe(true);
  });

  it('bounds the p99 latency and the model size, and refuses when either was not measured', () => {
    expect(shouldPromote({ ...base, p99Ms: 0.3, maxP99Ms: 0.2 })).toMatchObject({ promote: false, reasons: ['p99 latency of one row 0.3000 ms > the bound of 0.2000 ms'] });
    expect(shouldPromote({ ...base, p99Ms: 0.1, maxP99Ms: 0.2 }).promote).toBe(true);
    expect(shouldPromote({ ...base, modelBytes: 3e6, maxModelBytes: 2e6 })).toMatchObject({ promote: false, reasons: ['model size 3.00 MB > the bound of 2.00 MB'] });
    for (const missing of [null, undefined, NaN]) {
      expect(shouldPromote({ ...base, p99Ms: missing, maxP99Ms: 0.2 }).promote).toBe(false);
      expect(shouldPromote({ ...base, modelBytes: missing, maxModelBytes: 2e6 }).promote).toBe(false);
    }
    // Without a bound, nothing is required of the measurement.
    expect(shouldPromote({ ...base, p99Ms: NaN, modelBytes: null }).promote).toBe(true);
  });

  it('lists every check, and gives the failed ones as reasons', () => {
    const decision = shouldPromote({ ...base, candidate: 0.905, floor: 0.92, p99Ms: 0.1, maxP99Ms: 0.2, modelBytes: 1e6, maxModelBytes: 2e6 });
    expect(decision.checks.map((c) => [c.name, c.passed])).toEqual([
      ['floor', false],
      ['p99_ms', true],
      ['model_bytes', true],
      ['delta', false],
    ]);
    expect(decision.reasons).toHaveLength(2);
    const passing = shouldPromote({ ...base, p99Ms: 0.1, maxP99Ms: 0.2 });
    expect(passing.reasons).toEqual(passing.checks.map((c) => c.detail));
  });

  it('never lets a NaN metric through the guardrails', () => {
    expect(shouldPromote({ candidate: NaN, production: null, delta: 0, floor: 0, p99Ms: 0.01, maxP99Ms: 1 }).promote).toBe(false);
  });
});
