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
