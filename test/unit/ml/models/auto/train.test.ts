import { MloopError } from '../../../../../shared/core/errors';
import { fit } from '../../../../../shared/ml/fit';
import { autoBudgetSeconds, resolveAutoParams } from '../../../../../shared/ml/models/auto/params';
import { foldOf, foldRows } from '../../../../../shared/ml/models/auto/folds';
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
      // the single choice; the blend has its own test below
      { candidates: ['logistic', 'no_such_family', 'isolation_forest', 'mlp', 'gbdt'], metric: 'rmse', blend: false, ...FAST_NETWORK },
      (p) => void progress.push(p),
    );
    const { selection } = model.chosen!;
    expect(selection).toMatchObject({ by: 'auto', metric: 'rmse', higher_is_better: false, budget_seconds: autoBudgetSeconds(600) * 6 });
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

    // each trained candidate's validation score is its model's own, recorded with its parameters; the
    // choice goes by the mean of that and the cross-validation folds on the training rows (600 rows)
    const rmse = taskMetric('regression', 'rmse');
    expect(selection.measured).toBe('mean of 5-fold cross-validation on the 600 training rows and the validation split (200 rows)');
    for (const [record, params] of [
      [logistic, { seed: 42, ...FAST_NETWORK }],
      [gbdt, { seed: 42 }],
    ] as const) {
      const alone = await trainTable(record.family, data, params);
      expect(record.validation).toBeCloseTo(measure(rmse, data.validation.y, alone.predict(data.validation.X, data.validation.n), 0), 6);
      expect(record.folds).toHaveLength(5);
      expect(record.value).toBeCloseTo([...record.folds!, record.validation!].reduce((a, b) => a! + b!, 0)! / 6, 9);
      expect(record.params).toEqual(alone.params);
      expect(record.best_iteration).toBe(alone.bestIteration);
      expect(record.seconds).toBeGreaterThan(0);
    }
    // a tree ensemble fits this target's interactions; a linear model cannot
    expect(gbdt.value!).toBeLessThan(logistic.value!);
    expect(selection.winner).toBe('gbdt');
    expect(model.chosen!.family).toBe('gbdt');
    expect(model.params).toEqual(gbdt.params);
    // the model returned is the winner's trained on the train split, as the family alone trains it
    expect(measure(rmse, data.validation.y, model.predict(data.validation.X, data.validation.n), 0)).toBeCloseTo(gbdt.validation!, 6);

    // progress names the candidate and its own unit
    expect(progress[0]).toMatchObject({ family: 'logistic', candidate: 0, candidates: 5, unit: 'epoch', iteration: 1 });
    expect(progress.at(-1)).toMatchObject({ family: 'gbdt', candidate: 4, candidates: 5, unit: 'iteration' });
  });

  it('picks by the metric it is given: a higher AUC wins a binary target', async () => {
    const data = taskData('binary', 900, 11);
    const fitted = await fit('auto', { ...data, test: data.test }, { candidates: ['logistic', 'gbdt'], cv_folds: 0, blend: false, ...FAST_NETWORK });
    const { selection } = fitted;
    expect(selection!.metric).toBe('auc');
    const trained = selection!.candidates.filter((c) => c.status === 'trained');
    expect(trained).toHaveLength(2);
    const best = trained.reduce((a, b) => (b.value! > a.value! ? b : a));
    // fit reports the family that trained the model, not auto
    expect(fitted.algorithm).toBe(best.family);
    expect(selection!.winner).toBe(best.family);
    expect(fitted).not.toHaveProperty('chosen');
    expect(selection!.measured).toBe('validation split (300 rows)');
    for (const c of trained) expect(c).not.toHaveProperty('folds');
  });

  it('cross-validates on small data: each fold a model trained on the other folds, scored on it, the choice by their mean', async () => {
    const data = taskData('binary', 900, 19);
    const model = await trainAuto(data, { candidates: ['linear', 'random_forest'], seed: 5, blend: false });
    const { selection } = model.chosen!;
    expect(selection.measured).toMatch(/^mean of 5-fold cross-validation on the 900 training rows/);
    const auc = taskMetric('binary', 'auc');
    const fold = foldOf(data.train.y, data.train.n, 5, true, 5);
    for (const record of selection.candidates) {
      expect(record.status).toBe('trained');
      expect(record.folds).toHaveLength(5);
      for (const v of record.folds!) expect(v! > 0.5 && v! <= 1).toBe(true);
      // fold 3, retrained alone, scores as recorded
      const held = foldRows(data.train, fold, 3, true);
      const alone = await trainTable(record.family, { ...data, train: foldRows(data.train, fold, 3, false) }, record.family === 'linear' ? {} : { seed: 5 });
      expect(record.folds![3]).toBeCloseTo(measure(auc, held.y, alone.predict(held.X, held.n), 2), 9);
      expect(record.value).toBeCloseTo([...record.folds!, record.validation!].reduce((a, b) => a! + b!, 0)! / 6, 9);
    }
    const [linear, forest] = selection.candidates;
    expect(selection.winner).toBe(forest.value! > linear.value! ? 'random_forest' : 'linear');
    // cross-validation off above cv_max_rows
    const large = await trainAuto(data, { candidates: ['linear'], cv_max_rows: 900 });
    expect(large.chosen!.selection.measured).toBe('validation split (300 rows)');
    expect(large.chosen!.selection.candidates[0].folds).toBeUndefined();
  });

  it('blends the candidates when the blend beats the best alone on out-of-fold and validation rows, served as one model', async () => {
    const data = taskData('binary', 900, 19);
    const fitted = await fit('auto', data, { candidates: ['linear', 'random_forest', 'gbdt'], seed: 5 });
    const selection = fitted.selection!;
    const blend = selection.blend!;
    expect(blend.measured).toBe("out-of-fold predictions of the 900 training rows and the validation split's 300, pooled");
    // the best alone is the first round of the greedy selection: the candidate with the best pooled score
    const pooled = selection.candidates.map((c) => c.pooled!);
    expect(blend.single.value).toBe(Math.max(...pooled));
    expect(blend.single.family).toBe(selection.candidates[pooled.indexOf(blend.single.value)].family);
    expect(blend.members.reduce((s, m) => s + m.weight, 0)).toBeCloseTo(1, 12);
    // on this target linear and the trees err differently: the blend holds both kinds and scores higher
    expect(blend.kept).toBe(true);
    expect(blend.members.map((m) => m.family)).toEqual(expect.arrayContaining(['linear']));
    expect(blend.value).toBeGreaterThan(blend.single.value);
    expect(selection.winner).toBe('blend');
    expect(fitted.algorithm).toBe('auto');
    // the blend's predictions are the weighted average of the candidates' models as each trains alone
    const alone = await Promise.all(blend.members.map((m) => trainTable(m.family, data, m.family === 'linear' ? {} : { seed: 5 })));
    const { X, n } = data.test;
    const expected = Float32Array.from({ length: n }, (_, i) => blend.members.reduce((s, m, k) => s + m.weight * alone[k].predict(X, n)[i], 0));
    for (let i = 0; i < n; i++) expect(fitted.predictions.test[i]).toBeCloseTo(expected[i], 5);
    // off: the single choice, as before
    const single = await fit('auto', data, { candidates: ['linear', 'random_forest', 'gbdt'], seed: 5, blend: false });
    expect(single.selection!.blend).toBeUndefined();
    expect(single.algorithm).not.toBe('auto');
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
    expect(() => resolveAutoParams({ cv_folds: 2.5 })).toThrow(/cv_folds must be a non-negative integer/);
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
