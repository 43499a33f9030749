/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { Task } from '../../../shared/data/prepare';
import type { Calibrator } from '../../../shared/ml/calibration/calibrator';
import { fitIsotonic } from '../../../shared/ml/calibration/isotonic';
import { foldCalibration } from '../../../shared/ml/calibration/onnx';
import type { ExplainerModel } from '../../../shared/ml/explain/explainer_file';
import { trainGbdt } from '../../../shared/ml/models/gbdt/train';
import { trainRandomForest } from '../../../shared/ml/models/random_forest/train';
import { ONNX_OUTPUTS } from '../../../shared/ml/onnx_io';
import { probeRows, scoresAgree, treeScorer } from '../../../shared/ml/tree_scorer';
import { runOnnx } from '../../support/onnx_run';
import { taskData, worstDifference } from '../../support/task_data';

/** A tree model's scores computed from explainer.json's trees must be the ONNX graph's, row for row. */
const trainers = {
  gbdt: (data: ReturnType<typeof taskData>) => trainGbdt(data, { num_iterations: 40, min_data_in_leaf: 20, early_stopping_rounds: 0 }),
  random_forest: (data: ReturnType<typeof taskData>) => trainRandomForest(data, { n_estimators: 12 }),
};

describe('a tree model scored in JavaScript', () => {
  it.each([
    ['gbdt', 'binary'],
    ['gbdt', 'multiclass'],
    ['gbdt', 'regression'],
    ['random_forest', 'binary'],
    ['random_forest', 'multiclass'],
    ['random_forest', 'regression'],
  ] as Array<[keyof typeof trainers, Task]>)('%s %s: scores the test split and the probe rows as onnxruntime does', async (family, task) => {
    const data = taskData(task, 2000, 21);
    const model = await trainers[family](data);
    const width = data.train.X.length / data.train.n;
    const trees = treeScorer(model.explainer!, task, null);
    expect(trees).not.toBeNull();
    const own = trees!(data.test.X, data.test.n);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, ONNX_OUTPUTS[task]);
    expect(own).toHaveLength(served.length);
    expect(worstDifference(own, served)).toBeLessThan(1e-5);
    // a model that learned nothing would agree trivially
    expect(new Set(own).size).toBeGreaterThan(8);

    const probes = probeRows(model.explainer!, width, 300);
    expect(probes.some(Number.isNaN)).toBe(true);
    expect(scoresAgree(trees!(probes, 300), await runOnnx(model.onnx, probes, 300, width, ONNX_OUTPUTS[task]))).toBe(true);
  });

  it('applies a binary model calibration, as the calibration folded into its graph does', async () => {
    const data = taskData('binary', 2000, 22);
    const model = await trainers.gbdt(data);
    const width = data.train.X.length / data.train.n;
    const raw = treeScorer(model.explainer!, 'binary', null)!(data.validation.X, data.validation.n);
    const calibrators: Calibrator[] = [
      { method: 'platt', platt: { a: 0.7, b: -0.4 } },
      { method: 'isotonic', isotonic: fitIsotonic(raw, Array.from(data.validation.y, (y) => y === 1), data.validation.n) },
    ];
    for (const calibrator of calibrators) {
      const own = treeScorer(model.explainer!, 'binary', calibrator)!(data.test.X, data.test.n);
      const served = await runOnnx(foldCalibration(model.onnx, calibrator), data.test.X, data.test.n, width, ONNX_OUTPUTS.binary);
      expect(worstDifference(own, served)).toBeLessThan(1e-5);
      expect(worstDifference(own, treeScorer(model.explainer!, 'binary', null)!(data.test.X, data.test.n))).toBeGreaterThan(0.01);
    }
  });

  it('leaves to onnxruntime what it does not score: isolation forests and the other kinds', () => {
    const trees: ExplainerModel = { kind: 'trees', link: 'isolation', outputs: 1, base: [0], norm: 3, trees: [] };
    expect(treeScorer(trees, 'binary', null)).toBeNull();
    expect(treeScorer({ kind: 'linear', link: 'logistic', outputs: 1, weights: [[1]], bias: [0], means: [0] } as unknown as ExplainerModel, 'binary', null)).toBeNull();
  });

  it('tells scores apart once one leaf is off', async () => {
    const data = taskData('binary', 2000, 23);
    const model = await trainers.gbdt(data);
    const width = data.train.X.length / data.train.n;
    const explainer = model.explainer as Extract<ExplainerModel, { kind: 'trees' }>;
    const off: ExplainerModel = { ...explainer, trees: explainer.trees.map((t, k) => (k === 3 ? { ...t, value: t.value.map((v, l) => (l === 0 ? v + 0.05 : v)) } : t)) };
    const probes = probeRows(explainer, width, 300);
    const served = await runOnnx(model.onnx, probes, 300, width, ONNX_OUTPUTS.binary);
    expect(scoresAgree(treeScorer(explainer, 'binary', null)!(probes, 300), served)).toBe(true);
    expect(scoresAgree(treeScorer(off, 'binary', null)!(probes, 300), served)).toBe(false);
  });
});
