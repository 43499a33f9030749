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
});
