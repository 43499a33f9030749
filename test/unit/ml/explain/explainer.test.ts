import type { Task } from '../../../../shared/data/prepare';
import { Explainer } from '../../../../shared/ml/explain/explainer';
import { parseExplainer } from '../../../../shared/ml/explain/explainer_file';
import { trainTable } from '../../../../shared/ml/models/trainers';
import { taskData } from '../../../support/task_data';

/**
 * Every family that can explain, on every test row: base + Σ contributions = raw score to 1e-6, the
 * score is what the trainer's own forward pass answers, and a categorical's one-hot columns come back as
 * one feature.
 */
const CASES: Array<{ family: string; task: Task; params?: Record<string, unknown>; approximate?: boolean }> = [
  { family: 'gbdt', task: 'binary', params: { num_iterations: 30 } },
  { family: 'gbdt', task: 'multiclass', params: { num_iterations: 15 } },
  { family: 'gbdt', task: 'regression', params: { num_iterations: 20 } },
  { family: 'random_forest', task: 'binary', params: { n_estimators: 12 } },
  { family: 'extra_trees', task: 'multiclass', params: { n_estimators: 8 } },
  { family: 'isolation_forest', task: 'binary', params: { n_estimators: 25 } },
  { family: 'linear', task: 'binary' },
  { family: 'linear', task: 'multiclass' },
  { family: 'linear', task: 'regression' },
  { family: 'linear_svm', task: 'binary' },
  { family: 'logistic', task: 'binary', params: { epochs: 3 } },
  { family: 'mlp', task: 'multiclass', params: { epochs: 3, hidden_units: [8] }, approximate: true },
];

describe('explanations of each family', () => {
  it.each(CASES)('$family $task', async ({ family, task, params, approximate }) => {
    const data = taskData(task, 600, 7);
    const model = await trainTable(family, data, params ?? {});
    expect(model.explainer).toBeDefined();
    // as a version folder stores it and serving reads it back
    const stored = parseExplainer(JSON.parse(JSON.stringify(model.explainer)));
    const explainer = new Explainer(stored, data.specs, data.classes, task === 'multiclass');
    const { X, n } = data.test;
    const width = X.length / n;
    const predicted = model.predict(X, n);
    const K = predicted.length / n;
    const explanations = explainer.explain(X, width, n);
    explanations.forEach((e, i) => {
      expect(Object.keys(e.contributions).sort()).toEqual(['a', 'amount', 'b', 'kind']);
      const sum = Object.values(e.contributions).reduce((a, b) => a + b, 0);
      expect(Math.abs(e.base_value + sum - e.raw_score)).toBeLessThan(1e-6);
      const served = task === 'multiclass' ? predicted[i * K + data.classes!.indexOf(e.class!)] : predicted[i];
      expect(Math.abs(e.score - served)).toBeLessThan(2e-5 * Math.max(1, Math.abs(served)));
      if (task === 'multiclass') expect(served).toBe(Math.max(...predicted.subarray(i * K, (i + 1) * K)));
      expect(e.approximate).toBe(approximate ? true : undefined);
    });
  }, 120_000);
});

describe('a multiclass model explained for a chosen class or every class', () => {
  it('answers the named class, or each class beside the predicted one, each adding up to its own raw score', async () => {
    const data = taskData('multiclass', 600, 7);
    const model = await trainTable('gbdt', data, { num_iterations: 15 });
    const explainer = new Explainer(model.explainer!, data.specs, data.classes, true);
    const { X, n } = data.test;
    const width = X.length / n;
    const predicted = model.predict(X, n);
    const classes = data.classes!;
    const K = classes.length;
    const all = explainer.explain(X, width, n, undefined, { classes: 'all' });
    const predictedOnly = explainer.explain(X, width, n);
    for (const [k, name] of classes.entries()) {
      const chosen = explainer.explain(X, width, n, undefined, { class: name });
      chosen.forEach((e, i) => {
        expect(e.class).toBe(name);
        expect(Math.abs(e.base_value + Object.values(e.contributions).reduce((a, b) => a + b, 0) - e.raw_score)).toBeLessThan(1e-6);
        expect(Math.abs(e.score - predicted[i * K + k])).toBeLessThan(2e-5);
        // the same numbers under classes: "all"
        expect(all[i].classes![name]).toEqual({ base_value: e.base_value, raw_score: e.raw_score, score: e.score, contributions: e.contributions });
      });
    }
    // the top level stays the predicted class's explanation; the classes' contributions differ
    all.forEach((e, i) => {
      const { classes: _, ...top } = e;
      expect(top).toEqual(predictedOnly[i]);
    });
    expect(all[0].classes![classes[0]].contributions).not.toEqual(all[0].classes![classes[1]].contributions);
    expect(() => explainer.explain(X, width, 1, undefined, { class: 'nope' })).toThrow(/"class": "nope" is not one of the model's classes/);
  }, 120_000);

  it('refuses a chosen class on a model that has one output', async () => {
    const data = taskData('binary', 300, 3);
    const model = await trainTable('gbdt', data, { num_iterations: 5 });
    const explainer = new Explainer(model.explainer!, data.specs, data.classes, false);
    expect(() => explainer.explain(data.test.X, data.test.X.length / data.test.n, 1, undefined, { classes: 'all' })).toThrow(/only a multiclass model/);
  }, 60_000);
});

describe('an explainer.json that does not fit its model', () => {
  it('is refused with what is wrong, before any row is explained', () => {
    const data = taskData('binary', 50, 1);
    const trees = parseExplainer({
      kind: 'trees', link: 'logistic', outputs: 1, base: [0],
      trees: [{ output: 0, feature: [9], threshold: [0], default_left: [0], left: [-1], right: [-2], cover: [2], value: [1, -1], leaf_cover: [1, 1] }],
    });
    expect(() => new Explainer(trees, data.specs, data.classes, false)).toThrow(/does not fit the model's 6 encoded columns: a tree tests a column past them/);
    const linear = parseExplainer({ kind: 'linear', link: 'logistic', weights: [1, 2], bias: [0], mean: [0, 0] });
    expect(() => new Explainer(linear, data.specs, data.classes, false)).toThrow(/2 means, 2 weights/);
  });

  it('refuses a tree whose child points back up (a loop) or out of the tree', () => {
    const tree = { output: 0, feature: [0, 1], threshold: [0, 0], default_left: [0, 0], left: [1, -2], right: [-1, 0], cover: [3, 2], value: [1, 2, 3], leaf_cover: [1, 1, 1] };
    expect(() => parseExplainer({ kind: 'trees', link: 'identity', outputs: 1, base: [0], trees: [tree] })).toThrow(/tree 0 node 1 points outside the tree/);
    expect(() => parseExplainer({ kind: 'trees', link: 'identity', outputs: 1, base: [0], trees: [{ ...tree, right: [-1, -7] }] })).toThrow(/points outside the tree/);
  });
});
