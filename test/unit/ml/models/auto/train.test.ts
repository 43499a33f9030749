import { MloopError } from '../../../../../shared/core/errors';
import { fit } from '../../../../../shared/ml/fit';
import { autoBudgetSeconds, resolveAutoParams } from '../../../../../shared/ml/models/auto/params';
import { skipReason, trainAuto } from '../../../../../shared/ml/models/auto/train';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import { measure, taskMetric } from '../../../../../shared/ml/task_metric';
import type { TrainProgress } from '../../../../../shared/ml/trained_model';
import { taskData } from '../../../../support/task_data';

const FAST_NETWORK = { epochs: 5, backend: 'cpu' };

describe('auto', () => {
  it('trains each candidate it can, skips the others with the reason, and keeps the best on validation', async () => {
    const data = taskData('regression', 600, 7);
    const progress: TrainProgress[] = [];
    const model = await trainAuto(
      data,
      { candidates: ['logistic', 'no_such_family', 'isolation_forest', 'mlp', 'gbdt'], metric: 'rmse', ...FAST_NETWORK },
      (p) => void progress.push(p),
    );
    const { selection } = model.chosen!;
    expect(selection).toMatchObject({ by: 'auto', metric: 'rmse', higher_is_better: false, budget_seconds: autoBudgetSeconds(600) });
    expect(selection.candidates.map((c) => [c.family, c.status])).toEqual([
      ['logistic', 'trained'],
      ['no_such_family', 'skipped'],
      ['isolation_forest', 'skipped'],
      ['mlp', 'skipped'],
      ['gbdt', 'trained'],
    ]);
    const [logistic, unknown, forest, mlp, gbdt] = selection.candidates;
    expect(unknown.reason).toBe('no family "no_such_family" in this build\'s registry');
    expect(forest.reason).toBe('isolation_forest learns without the target');
    expect(mlp.reason).toMatch(/^600 training rows, fewer than mlp_min_rows \(10000\)/);

    // each trained candidate's score is its model's own on validation, recorded with its parameters
    const rmse = taskMetric('regression', 'rmse');
    for (const [record, params] of [
      [logistic, { seed: 42, ...FAST_NETWORK }],
      [gbdt, { seed: 42 }],
    ] as const) {
      const alone = await trainTable(record.family, data, params);
      expect(record.value).toBeCloseTo(measure(rmse, data.validation.y, alone.predict(data.validation.X, data.validation.n), 0), 6);
      expect(record.params).toEqual(alone.params);
      expect(record.best_iteration).toBe(alone.bestIteration);
      expect(record.seconds).toBeGreaterThan(0);
    }
    // a tree ensemble fits this target's interactions; a linear model cannot
    expect(gbdt.value!).toBeLessThan(logistic.value!);
    expect(selection.winner).toBe('gbdt');
    expect(model.chosen!.family).toBe('gbdt');
    expect(model.params).toEqual(gbdt.params);
    expect(measure(rmse, data.validation.y, model.predict(data.validation.X, data.validation.n), 0)).toBeCloseTo(gbdt.value!, 6);

    // progress names the candidate and its own unit
    expect(progress[0]).toMatchObject({ family: 'logistic', candidate: 0, candidates: 5, unit: 'epoch', iteration: 1 });
    expect(progress.at(-1)).toMatchObject({ family: 'gbdt', candidate: 4, candidates: 5, unit: 'iteration' });
  });

  it('picks by the metric it is given: a higher AUC wins a binary target', async () => {
    const data = taskData('binary', 900, 11);
    const fitted = await fit('auto', { ...data, test: data.test }, { candidates: ['logistic', 'gbdt'], ...FAST_NETWORK });
    const { selection } = fitted;
    expect(selection!.metric).toBe('auc');
    const trained = selection!.candidates.filter((c) => c.status === 'trained');
    expect(trained).toHaveLength(2);
    const best = trained.reduce((a, b) => (b.value! > a.value! ? b : a));
    // fit reports the family that trained the model, not auto
    expect(fitted.algorithm).toBe(best.family);
    expect(selection!.winner).toBe(best.family);
    expect(fitted).not.toHaveProperty('chosen');
  });

  it('stops a candidate the budget runs out on, skips those left, and fails with every reason when none finished', async () => {
    const data = taskData('binary', 3000, 13);
    let error: unknown;
    try {
      await trainAuto(data, { candidates: ['mlp', 'gbdt'], mlp_min_rows: 0, time_budget_s: 0.2, epochs: 100_000, backend: 'cpu' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MloopError);
    expect((error as MloopError).code).toBe('failed_precondition');
    expect((error as MloopError).message).toMatch(/^auto trained no candidate: mlp: stopped \(stopped at epoch \d+\/100000: the 0\.2 s budget ran out\); gbdt: skipped \(the 0\.2 s budget was spent before it could start\)$/);
  });

  it('records a candidate whose trainer throws as failed and goes on with the next', async () => {
    const data = taskData('multiclass', 400, 17);
    const empty = { ...data, train: { X: new Float32Array(0), y: new Float32Array(0), n: 0 } };
    const failing = await trainAuto(empty, { candidates: ['gbdt', 'logistic'], ...FAST_NETWORK }).catch((err: unknown) => err);
    expect(failing).toBeInstanceOf(MloopError);
    expect((failing as MloopError).message).toMatch(/^auto trained no candidate: gbdt: failed \(training needs rows in both the train and validation splits\); logistic: failed \(.+\)$/);
  });

  it('refuses unknown parameters and bad values, naming them', () => {
    expect(() => resolveAutoParams({ candidate: ['gbdt'] })).toThrow(/unknown auto parameter "candidate"/);
    expect(() => resolveAutoParams({ candidates: [] })).toThrow(/candidates must be a non-empty list/);
    expect(() => resolveAutoParams({ candidates: ['gbdt', 'gbdt'] })).toThrow(/lists a family twice/);
    expect(() => resolveAutoParams({ time_budget_s: -1 })).toThrow(/time_budget_s must be a non-negative number/);
    expect(resolveAutoParams({}).candidates).toEqual(['gbdt', 'linear', 'random_forest', 'mlp']);
  });

  it('scales its default budget with the rows, from a minute to at most an hour', () => {
    expect(autoBudgetSeconds(200)).toBe(61);
    expect(autoBudgetSeconds(700_000)).toBe(760);
    expect(autoBudgetSeconds(50_000_000)).toBe(3600);
  });

  it('says why a family cannot be a candidate', () => {
    const p = { mlp_min_rows: 10_000 };
    expect(skipReason('gbdt', 'binary', 100, p)).toBeNull();
    expect(skipReason('mlp', 'binary', 10_000, p)).toBeNull();
    expect(skipReason('auto', 'binary', 100, p)).toBe('auto cannot be its own candidate');
    expect(skipReason('cnn', 'multiclass', 100, p)).toBe('cnn trains on images');
  });
});
