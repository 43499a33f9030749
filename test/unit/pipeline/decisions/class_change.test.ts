import { classRecall, classSetChange, judgeClassChange, restrictToShared } from '../../../../shared/pipeline/decisions/class_change';
import { decide, type DecisionInput } from '../../../../shared/pipeline/decisions/decide';
import { taskMetric } from '../../../../shared/ml/task_metric';

const accuracy = taskMetric('multiclass', 'accuracy');

/** One row per label: probability `p` on the named class, the rest spread over the others. */
function probabilities(classes: string[], predicted: string[], p = 0.8): Float32Array {
  const K = classes.length;
  const out = new Float32Array(predicted.length * K);
  predicted.forEach((name, i) => {
    for (let k = 0; k < K; k++) out[i * K + k] = classes[k] === name ? p : (1 - p) / (K - 1);
  });
  return out;
}

/** Production's probabilities lined up on the candidate's classes: 0 for a class it does not know (as holdout_metric does). */
function aligned(candidateClasses: string[], productionClasses: string[], predicted: string[]): Float32Array {
  const own = probabilities(productionClasses, predicted);
  const out = new Float32Array(predicted.length * candidateClasses.length);
  predicted.forEach((_, i) => {
    candidateClasses.forEach((c, j) => {
      const k = productionClasses.indexOf(c);
      if (k >= 0) out[i * candidateClasses.length + j] = own[i * productionClasses.length + k];
    });
  });
  return out;
}

describe('classSetChange', () => {
  it('is null for the same classes in any order, and names what was added and removed otherwise', () => {
    expect(classSetChange(['a', 'b'], ['b', 'a'])).toBeNull();
    expect(classSetChange(['a', 'b', 'c'], ['a', 'b'])).toEqual({ added: ['c'], removed: [], shared: ['a', 'b'] });
    expect(classSetChange(['a', 'c'], ['a', 'b'])).toEqual({ added: ['c'], removed: ['b'], shared: ['a'] });
  });
});

describe('restrictToShared and classRecall', () => {
  it('keeps the rows of the shared classes and renormalises their columns', () => {
    const classes = ['a', 'b', 'new'];
    const p = Float32Array.from([0.5, 0.25, 0.25, 0.1, 0.1, 0.8, 0, 0, 1]);
    const { y, p: restricted } = restrictToShared(['a', 'b', 'new'], p, classes, ['a', 'b']);
    expect(Array.from(y)).toEqual([0, 1]);
    expect(Array.from(restricted)).toEqual([expect.closeTo(2 / 3, 6), expect.closeTo(1 / 3, 6), 0.5, 0.5]);
  });

  it('counts a class right when it is the most probable of all the candidate knows; null without rows', () => {
    const classes = ['a', 'b', 'new'];
    const p = probabilities(classes, ['new', 'a', 'new', 'b']);
    expect(classRecall(['new', 'new', 'new', 'b'], p, classes, 'new')).toBeCloseTo(2 / 3, 10);
    expect(classRecall(['a'], probabilities(classes, ['a']), classes, 'new')).toBeNull();
  });
});

describe('judgeClassChange', () => {
  const classes = ['a', 'b', 'c'];
  const labels = ['a', 'a', 'b', 'b', 'c', 'c'];

  it('compares on the shared classes and holds each new class to the recall floor', () => {
    // the candidate gets the shared rows right and one of two new-class rows; production cannot know c
    const candidate = probabilities(classes, ['a', 'a', 'b', 'b', 'c', 'a']);
    const production = aligned(classes, ['a', 'b'], ['a', 'b', 'b', 'b', 'a', 'a']);
    const judged = judgeClassChange({ metric: accuracy, classes, productionClasses: ['a', 'b'], labels, candidate, production }, 5 / 6)!;
    expect(judged.change).toMatchObject({ rule: 'classes_added', added: ['c'], removed: [], shared: ['a', 'b'], compared_rows: 4, min_recall: 0.5, manual_approval: false });
    expect(judged.candidate).toBe(1);
    expect(judged.production).toBe(0.75);
    expect(judged.change.new_class_recall).toEqual({ c: 0.5 });
    expect(judged.recallCheck).toEqual({ passed: true, detail: expect.stringContaining('c 0.5000') });
    const strict = judgeClassChange({ metric: accuracy, classes, productionClasses: ['a', 'b'], labels, candidate, production, minRecall: 0.75 }, 5 / 6)!;
    expect(strict.recallCheck).toEqual({ passed: false, detail: expect.stringMatching(/below the recall floor 0.75: c 0.5000/) });
  });

  it('asks for a person when production knows a class the candidate does not', () => {
    const judged = judgeClassChange(
      { metric: accuracy, classes: ['a', 'b'], productionClasses: ['a', 'b', 'gone'], labels: ['a', 'b'], candidate: probabilities(['a', 'b'], ['a', 'b']), production: probabilities(['a', 'b'], ['a', 'b']) },
      1,
    )!;
    expect(judged.change).toMatchObject({ rule: 'classes_removed', removed: ['gone'], added: [], manual_approval: true });
    expect(judged.recallCheck).toBeNull();
    expect(judged.change.detail).toMatch(/removed: gone.*mloop models approve/);
  });
});

describe('decide with a class set change', () => {
  const classes = ['a', 'b', 'c'];
  const labels = ['a', 'a', 'b', 'b', 'c', 'c'];
  const base = (candidate: Float32Array, production: Float32Array, productionClasses: string[], policy: Partial<DecisionInput['policy']> = {}): DecisionInput => ({
    run: { id: 'r', attempt: 1, model: 'leaves', model_version: 'v2' },
    task: 'multiclass',
    metric: accuracy,
    policy: { delta: 0.01, metric: 'accuracy', mode: 'auto', ...policy },
    labels,
    classes,
    candidate: { value: 0.5, predicted: candidate },
    serving: { p50_ms: 0.1, p99_ms: 0.2, rows_timed: 10, model_bytes: 1000 },
    production: { version: 'v1', metric: { value: 0.4, predicted: production, classes: productionClasses } },
    at: new Date('2026-01-01T00:00:00Z'),
  });

  it('promotes a candidate no worse on the shared classes whose new class is recognised, and says which rule applied', () => {
    // slightly worse than production on the shared classes (within delta 0.3), new class right
    const candidate = probabilities(classes, ['a', 'b', 'b', 'b', 'c', 'c']);
    const production = aligned(classes, ['a', 'b'], ['a', 'a', 'b', 'b', 'a', 'a']);
    const decision = decide(base(candidate, production, ['a', 'b'], { delta: 0.3 }));
    expect(decision.promote).toBe(true);
    expect(decision.awaiting_approval).toBe(false);
    expect(decision.candidate_metric).toBe(0.75);
    expect(decision.production_metric).toBe(1);
    expect(decision.class_change).toMatchObject({ rule: 'classes_added', added: ['c'], new_class_recall: { c: 1 }, candidate_metric_all: 0.5 });
    expect(decision.checks!.map((c) => c.name)).toEqual(['new_class_recall', 'delta']);
    expect(decision.reasons[0]).toMatch(/class\(es\) added: c; compared on the 2 shared class\(es\)/);
    // the paired bootstrap resamples the same shared-class rows for both models
    expect(decision.bootstrap).toMatchObject({ metric: 'accuracy', difference: -0.25, resamples: 1000 });
    expect(decision.bootstrap!.ci95[0]).toBeLessThanOrEqual(-0.25);
    expect(decision.bootstrap!.ci95[1]).toBeGreaterThanOrEqual(-0.25);
    expect(decision.bootstrap!.ci95[1]).toBeLessThanOrEqual(0);
    // the same candidate, held to the ordinary delta of 0.01 on the shared classes, is worse than production
    const strict = decide(base(candidate, production, ['a', 'b']));
    expect(strict.promote).toBe(false);
    expect(strict.reasons.join(' ')).toMatch(/on the shared classes, candidate accuracy 0.7500 is worse than production 1.0000 − delta 0.01/);
  });

  it('does not promote a candidate that does not recognise its new class', () => {
    const candidate = probabilities(classes, ['a', 'a', 'b', 'b', 'a', 'b']);
    const production = aligned(classes, ['a', 'b'], ['a', 'a', 'b', 'b', 'a', 'a']);
    const decision = decide(base(candidate, production, ['a', 'b']));
    expect(decision.promote).toBe(false);
    expect(decision.reasons.join(' ')).toMatch(/new class\(es\) below the recall floor 0.5: c 0.0000/);
  });

  it('keeps a winning candidate that dropped a class waiting for approval, whatever the mode', () => {
    const candidate = probabilities(classes, ['a', 'a', 'b', 'b', 'c', 'c']);
    const production = aligned(classes, ['a', 'b', 'c', 'gone'], ['a', 'a', 'b', 'b', 'c', 'c']);
    const decision = decide(base(candidate, production, ['a', 'b', 'c', 'gone']));
    expect(decision.promote).toBe(true);
    expect(decision.awaiting_approval).toBe(true);
    expect(decision.mode).toBe('manual');
    expect(decision.class_change).toMatchObject({ rule: 'classes_removed', removed: ['gone'], manual_approval: true });
  });

  it('leaves the ordinary comparison alone when the classes are the same', () => {
    const same = probabilities(classes, labels);
    const decision = decide({ ...base(same, same, ['c', 'b', 'a']), candidate: { value: 0.9, predicted: same }, production: { version: 'v1', metric: { value: 0.8, predicted: same, classes: ['c', 'b', 'a'] } } });
    expect(decision.class_change).toBeNull();
    expect(decision.candidate_metric).toBe(0.9);
    // the same predictions: no difference on any resample
    expect(decision.bootstrap).toEqual({ metric: 'accuracy', difference: 0, ci95: [0, 0], resamples: 1000, seed: expect.any(Number) });
    expect(decision.promote).toBe(true);
  });
});
