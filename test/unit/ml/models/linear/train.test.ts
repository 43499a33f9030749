/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { FeatureSpec } from '../../../../../shared/data/encoding';
import type { Task } from '../../../../../shared/data/prepare';
import { seededRandom } from '../../../../../shared/data/random';
import { MloopError } from '../../../../../shared/core/errors';
import type { LinearCoefficients } from '../../../../../shared/ml/models/linear/linear_model';
import { trainLinear } from '../../../../../shared/ml/models/linear/train';
import { ONNX_OUTPUTS } from '../../../../../shared/ml/onnx_io';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData, worstDifference } from '../../../../support/task_data';
import { solve } from '../../../../support/gaussian_solve';

const widthOf = (data: { train: { X: Float32Array; n: number } }) => data.train.X.length / data.train.n;

/** The scores the reported coefficients give on raw rows, before the head. */
function scoresFrom(c: LinearCoefficients, X: Float32Array, n: number): Float64Array {
  const K = c.intercept.length;
  const width = c.columns.length;
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) out[i * K + k] = c.intercept[k] + c.columns.reduce((s, col, j) => s + col.weights[k] * X[i * width + j], 0);
  return out;
}

describe('linear family', () => {
  it.each([
    ['binary', 'l2'],
    ['binary', 'l1'],
    ['binary', 'elasticnet'],
    ['multiclass', 'l2'],
    ['multiclass', 'elasticnet'],
    ['regression', 'l2'],
    ['regression', 'l1'],
    ['regression', 'none'],
  ] as Array<[Task, string]>)('scores the %s test split under onnxruntime as the trainer does, to 1e-5 (penalty %s)', async (task, penalty) => {
    const data = taskData(task, 3000, 11);
    const model = await trainLinear(data, { penalty, alpha: 0.003 });
    const K = task === 'multiclass' ? 3 : 1;
    const graph = graphOf(model.onnx);
    expect(graph.outputs).toEqual([[ONNX_OUTPUTS[task], ['N', K]]]);
    expect(graph.ops).toEqual(['Cast', 'MatMul', 'Add', task === 'binary' ? 'Sigmoid' : task === 'multiclass' ? 'Softmax' : 'Identity', 'Cast']);
    expect(graph.opsets).toEqual([['', 17]]);
    const own = model.predict(data.test.X, data.test.n);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, widthOf(data), ONNX_OUTPUTS[task]);
    expect(own).toHaveLength(data.test.n * K);
    expect(worstDifference(served, own)).toBeLessThan(1e-5);
    expect(new Set(own).size).toBeGreaterThan(100);

    // the coefficients reported are the model: on raw rows they give its scores
    const c = model.coefficients!;
    expect(c.columns.map((col) => col.category ?? col.feature)).toEqual(['a', 'b', 'amount', 'x', 'y', 'z']);
    expect(c.outputs).toEqual(task === 'binary' ? ['yes'] : task === 'multiclass' ? ['low', 'mid', 'high'] : ['value']);
    const z = scoresFrom(c, data.test.X, data.test.n);
    const head = Float32Array.from(z, (v, at) => {
      if (task === 'regression') return v;
      if (task === 'binary') return 1 / (1 + Math.exp(-v));
      const row = Math.floor(at / K) * K;
      const max = Math.max(...z.subarray(row, row + K));
      const sum = Array.from(z.subarray(row, row + K)).reduce((s, u) => s + Math.exp(u - max), 0);
      return Math.exp(v - max) / sum;
    });
    expect(worstDifference(head, own)).toBeLessThan(1e-5);
    // ridge is solved in closed form, one pass confirming it; the other solvers iterate
    if (task === 'regression' && penalty === 'l2') expect(model.backend).toMatch(/^js, Cholesky, then coordinate descent, 1 passes/);
    else expect(model.history.length).toBeGreaterThan(1);
    expect(model.backend).not.toContain('max_iter reached');
  });

  it('recovers exact coefficients on the raw scale, intercept included, when the target is linear in the columns', async () => {
    const data = taskData('regression', 2000, 5);
    const width = widthOf(data);
    const truth = [2.5, -1.25, 0.01, 0, 3, -2];
    for (const split of [data.train, data.validation, data.test]) {
      split.y = Float32Array.from({ length: split.n }, (_, i) => 7 + truth.reduce((s, w, j) => s + w * split.X[i * width + j], 0));
    }
    const model = await trainLinear(data, { penalty: 'none', tol: 1e-12 });
    const c = model.coefficients!;
    // the one-hot columns sum to one: only their differences are determined, so compare predictions
    // and the numeric coefficients, which are
    for (let j = 0; j < 3; j++) expect(c.columns[j].weights[0]).toBeCloseTo(truth[j], 5);
    expect(worstDifference(model.predict(data.test.X, data.test.n), data.test.y)).toBeLessThan(1e-5);
    expect(c.columns[4].weights[0] - c.columns[3].weights[0]).toBeCloseTo(3, 5);
  });

  it('cuts an irrelevant column to exactly zero with an L1 penalty and keeps it with L2', async () => {
    const data = taskData('binary', 4000, 8);
    const l1 = await trainLinear(data, { penalty: 'l1', alpha: 0.01 });
    const l2 = await trainLinear(data, { penalty: 'l2', alpha: 0.01 });
    // the category y carries no signal (the target reads only z)
    expect(l1.coefficients!.columns[4].weights[0]).toBe(0);
    expect(l2.coefficients!.columns[4].weights[0]).not.toBe(0);
    expect(l1.backend).toContain('OWL-QN');
    expect(l2.backend).toContain('L-BFGS');
  });

  it('trains multinomial classes whose probabilities sum to one and which beat the base rate', async () => {
    const data = taskData('multiclass', 3000, 2);
    const model = await trainLinear(data);
    const p = model.predict(data.test.X, data.test.n);
    let correct = 0;
    const counts = [0, 0, 0];
    for (let i = 0; i < data.test.n; i++) {
      const row = Array.from(p.subarray(3 * i, 3 * i + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      if (row.indexOf(Math.max(...row)) === data.test.y[i]) correct++;
      counts[data.test.y[i]]++;
    }
    expect(correct / data.test.n).toBeGreaterThan(Math.max(...counts) / data.test.n + 0.2);
  });

  it('solves ridge on nearly collinear columns to its closed form (coordinate descent alone stopped at max_iter far from it)', async () => {
    // four columns that are one signal up to 1 % noise, as one-hot groups and their totals are: the
    // passes converge at a rate set by that correlation, 1 000 of them fall short
    const random = seededRandom(3);
    const width = 6;
    const specs: FeatureSpec[] = Array.from({ length: width }, (_, j) => ({ name: `x${j}`, kind: 'numeric', mean: 0, std: 1, min: -5, max: 5, fill: 0 }));
    const split = (n: number) => {
      const X = new Float32Array(n * width);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const base = random.normal();
        for (let j = 0; j < 4; j++) X[i * width + j] = base + 0.01 * random.normal();
        X[i * width + 4] = random.normal();
        X[i * width + 5] = 3 * random.normal() + 10;
        y[i] = 50 * X[i * width] + 30 * X[i * width + 1] - 20 * X[i * width + 2] + X[i * width + 4] + 0.2 * X[i * width + 5] + random.normal();
      }
      return { X, y, n };
    };
    const data = { task: 'regression' as const, classes: null, specs, train: split(2000), validation: split(300) };
    const alpha = 1e-4;
    const model = await trainLinear(data, { penalty: 'l2', alpha });
    expect(model.backend).not.toContain('max_iter reached');

    // the solution, independently: standardise, (ZᵀZ/n + alpha·I) w = Zᵀ(y − ȳ)/n, back to the raw scale
    const { X, y, n } = data.train;
    const mean = Array.from({ length: width }, (_, j) => X.filter((_, at) => at % width === j).reduce((a, b) => a + b, 0) / n);
    const std = mean.map((m, j) => Math.sqrt(X.filter((_, at) => at % width === j).reduce((a, v) => a + (v - m) ** 2, 0) / n));
    const z = (i: number, j: number) => (X[i * width + j] - mean[j]) / std[j];
    const yMean = y.reduce((a, b) => a + b, 0) / n;
    const A = Array.from({ length: width }, (_, j) => Array.from({ length: width }, (_, k) => Array.from({ length: n }, (_, i) => z(i, j) * z(i, k)).reduce((a, b) => a + b, 0) / n + (j === k ? alpha : 0)));
    const b = Array.from({ length: width }, (_, j) => Array.from({ length: n }, (_, i) => z(i, j) * (y[i] - yMean)).reduce((a, v) => a + v, 0) / n);
    const w = solve(A, b).map((v, j) => v / std[j]);
    const got = model.coefficients!.columns.map((c) => c.weights[0]);
    for (let j = 0; j < width; j++) expect(Math.abs(got[j] - w[j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(w[j])));
    expect(model.coefficients!.intercept[0]).toBeCloseTo(yMean - w.reduce((s, v, j) => s + v * mean[j], 0), 3);
  });

  it('exports a model with nothing to learn from as the mean, and refuses bad parameters and non-finite features', async () => {
    const specs: FeatureSpec[] = [{ name: 'c', kind: 'numeric', mean: 1, std: 0, min: 1, max: 1, fill: 1 }];
    const random = seededRandom(1);
    const split = (n: number) => ({ X: new Float32Array(n).fill(1), y: Float32Array.from({ length: n }, () => 10 + random.normal()), n });
    const data = { task: 'regression' as const, classes: null, specs, train: split(200), validation: split(50) };
    const model = await trainLinear(data);
    const mean = data.train.y.reduce((a, b) => a + b, 0) / 200;
    const served = await runOnnx(model.onnx, new Float32Array(3).fill(1), 3, 1, 'value');
    for (const v of served) expect(v).toBeCloseTo(mean, 4);
    await expect(trainLinear(data, { penalty: 'l3' })).rejects.toThrow(/penalty must be one of l2, l1, elasticnet, none/);
    await expect(trainLinear(data, { alpha: -1 })).rejects.toThrow(MloopError);
    const broken = { ...data, train: { ...data.train, X: Float32Array.from(data.train.X, (v, i) => (i === 5 ? NaN : v)) } };
    await expect(trainLinear(broken)).rejects.toThrow(/training features hold NaN at position 5/);
  });
});
