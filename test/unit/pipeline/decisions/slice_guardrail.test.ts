import { decide, type DecisionInput } from '../../../../shared/pipeline/decisions/decide';
import { sliceGuardrail } from '../../../../shared/pipeline/decisions/slice_guardrail';
import type { SliceResult } from '../../../../shared/ml/slice_metrics';
import { taskMetric } from '../../../../shared/ml/task_metric';

const AUC = { name: 'auc', higherIsBetter: true, relativeDelta: false };
const slice = (value: string, rows: number, candidate: number, production: number): SliceResult => ({
  column: 'region',
  value,
  rows,
  candidate: { auc: { value: candidate, ci95: null } },
  production: { auc: { value: production, ci95: null } },
  difference: { value: candidate - production, ci95: null },
});

describe('sliceGuardrail', () => {
  it('is off unless max_slice_drop is set', () => {
    expect(sliceGuardrail({ slices: [slice('south', 500, 0.5, 0.9)], metric: AUC })).toBeNull();
  });

  it('fails on a slice of enough rows that lost more than the drop allowed, with its numbers', () => {
    const result = sliceGuardrail({ slices: [slice('north', 900, 0.95, 0.8), slice('south', 400, 0.82, 0.9), slice('east', 20, 0.1, 0.9)], metric: AUC, maxDrop: 0.05, minRows: 100 })!;
    expect(result.check.passed).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ column: 'region', value: 'south', rows: 400, production: 0.9, candidate: 0.82 });
    expect(result.failures[0].drop).toBeCloseTo(0.08, 12);
    expect(result.check.detail).toBe('slice region=south (400 rows): auc 0.9000 in production, 0.8200 for the candidate, a drop of 0.0800 > the allowed 0.05');
  });

  it('passes a drop within the bound, and counts an error metric against production in its own direction, relative to its value', () => {
    expect(sliceGuardrail({ slices: [slice('south', 400, 0.86, 0.9)], metric: AUC, maxDrop: 0.05, minRows: 100 })!.check.passed).toBe(true);
    const rmse = { name: 'rmse', higherIsBetter: false, relativeDelta: true };
    const worse = (candidate: number, production: number): SliceResult => ({ ...slice('s', 200, 0, 0), candidate: { rmse: { value: candidate, ci95: null } }, production: { rmse: { value: production, ci95: null } } });
    // 10 → 11 is 10 % worse
    expect(sliceGuardrail({ slices: [worse(11, 10)], metric: rmse, maxDrop: 0.05 })!.failures[0].drop).toBeCloseTo(0.1, 12);
    expect(sliceGuardrail({ slices: [worse(10.4, 10)], metric: rmse, maxDrop: 0.05 })!.check.passed).toBe(true);
    expect(sliceGuardrail({ slices: [worse(9, 10)], metric: rmse, maxDrop: 0 })!.check.passed).toBe(true);
  });
});

describe('decide with the slice guardrail', () => {
  /**
   * 1000 holdout rows: the candidate ranks "north" (800 rows) perfectly where production is at chance,
   * and ranks "south" (200 rows) backwards where production is perfect. Overall the candidate wins.
   */
  function input(maxSliceDrop?: number): DecisionInput {
    const labels: number[] = [];
    const candidate: number[] = [];
    const production: number[] = [];
    const region: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const north = i < 800;
      const positive = i % 5 === 0;
      labels.push(positive ? 1 : 0);
      region.push(north ? 'north' : 'south');
      const good = positive ? 0.7 + (i % 9) / 100 : 0.2 + (i % 11) / 100;
      candidate.push(north ? good : 1 - good);
      production.push(north ? ((i * 7919) % 1000) / 1000 : good);
    }
    return {
      run: { id: 'run-1', attempt: 1, model: 'churn', model_version: 'v2' },
      task: 'binary',
      metric: taskMetric('binary'),
      policy: { delta: 0.01, mode: 'auto', maxSliceDrop, minSliceRows: 100 },
      labels,
      candidate: { value: null, predicted: Float32Array.from(candidate) },
      serving: { p50_ms: 0.1, p99_ms: 0.2, rows_timed: 10, model_bytes: 1000 },
      production: { version: 'v1', metric: { value: null, predicted: Float32Array.from(production) } },
      sliceColumns: [{ column: 'region', values: region }],
      at: new Date('2026-01-01T00:00:00Z'),
    };
  }
  const withOverall = (i: DecisionInput, c: number, p: number): DecisionInput => ({ ...i, candidate: { ...i.candidate, value: c }, production: { ...i.production, metric: { ...i.production.metric, value: p } } });

  it('does not promote a candidate better overall but worse on one slice by more than max_slice_drop, and says which and by how much', () => {
    const decision = decide(withOverall(input(0.05), 0.85, 0.6));
    expect(decision.promote).toBe(false);
    expect(decision.slice_failures).toEqual([expect.objectContaining({ column: 'region', value: 'south', rows: 200, metric: 'auc', production: 1, candidate: 0, drop: 1 })]);
    expect(decision.reasons).toEqual(['slice region=south (200 rows): auc 1.0000 in production, 0.0000 for the candidate, a drop of 1.0000 > the allowed 0.05']);
    expect(decision.checks!.find((c) => c.name === 'delta')!.passed).toBe(true);
    expect(decision.slices!.map((s) => [s.value, s.rows])).toEqual([['north', 800], ['south', 200]]);
    expect(decision.slices![0].candidate.auc.ci95).toEqual([1, 1]);
  });

  it('promotes the same candidate with the guardrail off, the slice table recorded all the same', () => {
    const decision = decide(withOverall(input(), 0.85, 0.6));
    expect(decision.promote).toBe(true);
    expect(decision.slice_failures).toBeUndefined();
    expect(decision.slices).toHaveLength(2);
    expect(decision.slices![1].production!.auc.value).toBe(1);
  });
});
