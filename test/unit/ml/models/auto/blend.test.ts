/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { Task } from '../../../../../shared/data/prepare';
import { Explainer } from '../../../../../shared/ml/explain/explainer';
import { parseExplainer } from '../../../../../shared/ml/explain/explainer_file';
import { blendModel } from '../../../../../shared/ml/models/auto/blend';
import { ensembleSelection } from '../../../../../shared/ml/models/auto/ensemble_selection';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import { ONNX_OUTPUTS } from '../../../../../shared/ml/onnx_io';
import { seededRandom } from '../../../../../shared/data/random';
import { taskMetric } from '../../../../../shared/ml/task_metric';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData, worstDifference } from '../../../../support/task_data';

describe('auto blend', () => {
  it.each(['binary', 'multiclass', 'regression'] as Task[])('%s: one ONNX graph scores as the weighted average the trainer predicts, to 1e-5; explanations add up', async (task) => {
    const data = taskData(task, 800, 5);
    const classes = data.classes?.length ?? 0;
    const parts = [
      { family: 'gbdt', weight: 0.48, model: await trainTable('gbdt', data, { num_iterations: 30 }) },
      { family: 'linear', weight: 0.32, model: await trainTable('linear', data, {}) },
      { family: 'random_forest', weight: 0.2, model: await trainTable('random_forest', data, { n_estimators: 10 }) },
    ];
    const blend = blendModel(parts, task, classes);
    const { X, n } = data.test;
    const width = X.length / n;
    const K = task === 'multiclass' ? 3 : 1;

    const own = blend.predict(X, n);
    const members = parts.map((p) => p.model.predict(X, n));
    const expected = Float32Array.from(own, (_, i) => parts.reduce((s, p, m) => s + p.weight * members[m][i], 0));
    expect(worstDifference(own, expected)).toBeLessThan(1e-6);
    const graph = graphOf(blend.onnx);
    expect(graph.outputs).toEqual([[ONNX_OUTPUTS[task], ['N', K]]]);
    expect(graph.ops.filter((o) => o === 'Mul')).toHaveLength(3);
    expect(graph.ops.at(-1)).toBe('Sum');
    const served = await runOnnx(blend.onnx, X, n, width, ONNX_OUTPUTS[task]);
    expect(worstDifference(served, own)).toBeLessThan(1e-5);
    expect(blend.params).toEqual({ blend: parts.map((p) => ({ family: p.family, weight: p.weight, params: p.model.params })) });

    // as a version folder stores it and serving reads it back
    const stored = parseExplainer(JSON.parse(JSON.stringify(blend.explainer)));
    expect(stored.kind).toBe('blend');
    const explainer = new Explainer(stored, data.specs, data.classes, task === 'multiclass');
    explainer.explain(X, width, n).forEach((e, i) => {
      const sum = Object.values(e.contributions).reduce((a, b) => a + b, 0);
      expect(Math.abs(e.base_value + sum - e.raw_score)).toBeLessThan(1e-6 * Math.max(1, Math.abs(e.raw_score)));
      const score = task === 'multiclass' ? own[i * K + data.classes!.indexOf(e.class!)] : own[i];
      expect(Math.abs(e.score - score)).toBeLessThan(2e-5 * Math.max(1, Math.abs(score)));
      // every link is the identity only for a value: exact there, rescaled through a sigmoid or softmax
      expect(e.approximate).toBe(task === 'regression' ? undefined : true);
    });
    if (task === 'regression') {
      // identity links: the blend's contributions are the weighted sum of the members' own
      const alone = parts.map((p) => new Explainer(p.model.explainer!, data.specs, null, false).explain(X, width, 5));
      new Explainer(stored, data.specs, null, false).explain(X, width, 5).forEach((e, i) => {
        for (const f of Object.keys(e.contributions)) {
          const weighted = parts.reduce((s, p, m) => s + p.weight * alone[m][i].contributions[f], 0);
          expect(e.contributions[f]).toBeCloseTo(weighted, 6);
        }
      });
    }
  }, 120_000);
});

describe('greedy ensemble selection', () => {
  const n = 4000;
  const random = seededRandom(9);
  const y = Float32Array.from({ length: n }, () => random.normal());
  const noisy = (scale: number) => Float32Array.from(y, (v) => v + scale * random.normal());
  const rmse = taskMetric('regression', 'rmse');

  it('averages candidates whose errors are independent, and weighs the better one more', () => {
    const chosen = ensembleSelection([noisy(1), noisy(1.2), noisy(1)], y, rmse, 0, 20);
    expect(chosen.weights.filter((w) => w > 0)).toHaveLength(3);
    expect(chosen.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(chosen.weights[1]).toBeLessThan(chosen.weights[0]);
    // three independent errors of about 1 average to about 1/√3
    expect(chosen.value).toBeLessThan(0.7);
    expect(chosen.value).toBeLessThan(chosen.single.value - 0.2);
  });

  it('keeps the best candidate alone when averaging in another only hurts', () => {
    const good = noisy(0.1);
    const chosen = ensembleSelection([noisy(3), good, Float32Array.from(good, (v) => v + 0.05)], y, rmse, 0, 20);
    expect(chosen.weights).toEqual([0, 1, 0]);
    expect(chosen.single.index).toBe(1);
    expect(chosen.value).toBe(chosen.single.value);
  });
});
