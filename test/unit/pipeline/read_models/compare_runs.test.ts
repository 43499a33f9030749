import type { Manifest } from '../../../../shared/ml/manifest';
import { compareRuns, type ComparedInput } from '../../../../shared/pipeline/read_models/compare_runs';
import type { RunDoc, RunHoldout } from '../../../../shared/pipeline/store/documents';

const holdout = (over: Partial<RunHoldout> = {}): RunHoldout => ({ dataset_version: 'd1', rows: 750, seed: 42, sample: null, time_column: null, ...over });

function input(id: string, over: { run?: Partial<RunDoc>; params?: Record<string, unknown>; algorithm?: string; history?: number; roc?: boolean } = {}): ComparedInput {
  const run: RunDoc = {
    id, model: 'fraud', model_version: `v-${id}`, dataset_version: 'd1', request_id: `r-${id}`, reason: 'upload', status: 'succeeded',
    attempt: 1, max_attempts: 3, executions: [], created_at: '2026-01-01T00:00:00Z',
    metrics: { auc: 0.9, logloss: 0.3, rows: 750, tp: 10, threshold: 0.5 },
    training_end: { unit: 'iteration', iterations: 40, max_iterations: 300, best_iteration: 35, stopped_early: true },
    holdout: holdout(),
    ...over.run,
  };
  const trainer: Manifest['trainer'] = {
    backend: 'js', best_iteration: 35, params: over.params ?? { learning_rate: 0.05, num_leaves: 31, seed: 42 },
    history: Array.from({ length: over.history ?? 3 }, (_, i) => ({ iteration: i + 1, loss: 0.5 - i * 0.1, val_loss: i === 1 ? NaN : 0.6 - i * 0.1 })),
  };
  const roc = over.roc === false ? undefined : [{ fpr: 0, tpr: 0, threshold: Infinity }, { fpr: 1, tpr: 1, threshold: 0 }];
  return { run, trainer, algorithm: over.algorithm ?? 'gbdt', curves: { roc, pr: roc ? [{ recall: 1, precision: 0.1, threshold: 0 }] : undefined } };
}

describe('runs side by side', () => {
  it('lists the parameters that differ first (those every run has before one run\'s own), and the equal ones after', () => {
    const c = compareRuns([input('a'), input('b', { params: { learning_rate: 0.1, num_leaves: 31, seed: 42, extra: true } })]);
    expect(c.params.map((p) => [p.name, p.differs])).toEqual([['learning_rate', true], ['extra', true], ['algorithm', false], ['num_leaves', false], ['seed', false]]);
    expect(c.params.find((p) => p.name === 'learning_rate')!.values).toEqual([0.05, 0.1]);
    expect(c.params.find((p) => p.name === 'extra')!.values).toEqual([null, true]);
    const families = compareRuns([input('a'), input('b', { algorithm: 'mlp', params: { learning_rate: 0.003, epochs: 30 } })]);
    expect(families.params.map((p) => p.name)).toEqual(['algorithm', 'learning_rate', 'epochs', 'num_leaves', 'seed']);
  });

  it('marks the better value of each metric by its direction, and none for counts and the threshold', () => {
    const c = compareRuns([input('a'), input('b', { run: { metrics: { auc: 0.95, logloss: 0.35, rows: 750, tp: 12, threshold: 0.4 } } })]);
    const best = Object.fromEntries(c.metrics.map((m) => [m.name, [m.direction, m.best]]));
    expect(best).toEqual({ auc: ['higher', [1]], logloss: ['lower', [0]], rows: [null, []], tp: [null, []], threshold: [null, []] });
  });

  it('carries each run\'s loss history (undefined losses as null) and its ROC and PR curves', () => {
    const c = compareRuns([input('a', { history: 3 }), input('b', { history: 5, roc: false })]);
    expect(c.history.map((h) => [h.run_id, h.unit, h.points.length])).toEqual([['a', 'iteration', 3], ['b', 'iteration', 5]]);
    expect(c.history[0].points[1]).toEqual({ iteration: 2, loss: 0.4, val_loss: null });
    expect(c.curves.map((x) => x.run_id)).toEqual(['a']);
  });

  it('says nothing when the runs share one model and one holdout', () => {
    const c = compareRuns([input('a'), input('b')]);
    expect(c).toMatchObject({ same_holdout: true, same_model: true, warnings: [] });
  });

  it('warns that metrics on different holdouts are not comparable, naming what differs', () => {
    const c = compareRuns([input('a'), input('b', { run: { holdout: holdout({ seed: 7 }) } }), input('c', { run: { holdout: holdout({ dataset_version: 'd2', rows: 800 }) } })]);
    expect(c.same_holdout).toBe(false);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/different holdouts, so they are not comparable/);
    expect(c.warnings[0]).toContain('a: dataset_version d1, rows 750, seed 42');
    expect(c.warnings[0]).toContain('c: dataset_version d2, rows 800, seed 42');
  });

  it('allows runs of different models, with a warning', () => {
    const c = compareRuns([input('a'), input('b', { run: { model: 'churn' } })]);
    expect(c.same_model).toBe(false);
    expect(c.warnings).toEqual([expect.stringMatching(/different models \(fraud, churn\)/)]);
  });

  it('infers an older run\'s holdout from its dataset and test rows, and says so', () => {
    const older = input('old', { run: { holdout: undefined, plan: undefined } });
    const c = compareRuns([input('a'), older]);
    expect(c.runs[1].holdout).toEqual({ dataset_version: 'd1', rows: 750, seed: null, sample: null, time_column: null, recorded: false });
    expect(c.same_holdout).toBe(true);
    expect(c.warnings).toEqual([expect.stringMatching(/holdout of old was not recorded/)]);
  });

  it('says which run has no metrics (a failed one), and leaves it out of the holdout check', () => {
    const failed = input('f', { run: { status: 'failed', metrics: null, holdout: null } });
    const c = compareRuns([input('a'), failed]);
    expect(c.warnings).toEqual(['run f has no metrics (failed)']);
    expect(c.metrics.find((m) => m.name === 'auc')!.values).toEqual([0.9, null]);
  });

  it('refuses fewer than 2 runs, more than 8, or one named twice', () => {
    expect(() => compareRuns([input('a')])).toThrow(/at least 2 runs/);
    expect(() => compareRuns(Array.from({ length: 9 }, (_, i) => input(`r${i}`)))).toThrow(/at most 8 runs/);
    expect(() => compareRuns([input('a'), input('a')])).toThrow(/run a is named twice/);
  });
});
