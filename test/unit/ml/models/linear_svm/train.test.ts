/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { Task } from '../../../../../shared/data/prepare';
import { seededRandom } from '../../../../../shared/data/random';
import { DualCoordinateDescent } from '../../../../../shared/ml/models/linear_svm/dual_cd';
import { trainLinearSvm } from '../../../../../shared/ml/models/linear_svm/train';
import { owlqn } from '../../../../../shared/ml/models/linear/owlqn';
import { squaredHingeObjective } from '../../../../../shared/ml/models/linear_svm/squared_hinge';
import { ONNX_OUTPUTS } from '../../../../../shared/ml/onnx_io';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData, worstDifference } from '../../../../support/task_data';

/** Row-major points in two clouds, separated by a gap of 2 along the first axis unless `overlap`. */
function clouds(n: number, width: number, seed: number, overlap: boolean) {
  const random = seededRandom(seed);
  const Z = new Float32Array(n * width);
  const sign = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    sign[i] = random.next() < 0.4 ? 1 : -1;
    for (let j = 0; j < width; j++) Z[i * width + j] = random.normal() * 0.5;
    if (overlap) Z[i * width] += sign[i] * 0.5;
    else Z[i * width] = sign[i] * (1 + Math.abs(random.normal()) * 0.3);
  }
  const QD = Float64Array.from({ length: n }, (_, i) => 1 + Z.subarray(i * width, (i + 1) * width).reduce((s, v) => s + v * v, 0));
  return { Z, sign, QD };
}

const margin = (w: Float64Array, Z: Float32Array, i: number, width: number) => w[width] + Array.from(Z.subarray(i * width, (i + 1) * width)).reduce((s, v, j) => s + v * w[j], 0);

describe('linear_svm family', () => {
  it.each([
    ['binary', 'squared_hinge'],
    ['binary', 'hinge'],
    ['multiclass', 'squared_hinge'],
    ['multiclass', 'hinge'],
  ] as Array<[Task, string]>)('scores the %s test split under onnxruntime as the trainer does, to 1e-5 (%s)', async (task, loss) => {
    const data = taskData(task, 2000, 11);
    const model = await trainLinearSvm(data, { loss, max_iter: 300 });
    const K = task === 'multiclass' ? 3 : 1;
    const graph = graphOf(model.onnx);
    expect(graph.outputs).toEqual([[ONNX_OUTPUTS[task], ['N', K]]]);
    expect(graph.ops).toEqual(task === 'binary' ? ['Cast', 'MatMul', 'Add', 'Sigmoid', 'Cast'] : ['Cast', 'MatMul', 'Add', 'Sigmoid', 'ReduceSum', 'Div', 'Cast']);
    const own = model.predict(data.test.X, data.test.n);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, data.train.X.length / data.train.n, ONNX_OUTPUTS[task]);
    expect(worstDifference(served, own)).toBeLessThan(1e-5);
    expect(new Set(own).size).toBeGreaterThan(100);
    // probabilities: in (0, 1), one per class summing to one
    for (let i = 0; i < data.test.n; i++) {
      const row = Array.from(own.subarray(i * K, (i + 1) * K));
      for (const p of row) expect(p > 0 && p < 1).toBe(true);
      if (K > 1) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    // the Platt sigmoids fitted on validation are recorded beside the raw coefficients, one per class
    const c = model.coefficients!;
    expect(c.calibration).toHaveLength(K);
    // a class one-vs-rest cannot separate (the middle one) may get a flat margin and any slope
    if (task === 'binary') expect(c.calibration![0].a).toBeGreaterThan(0);
    expect(model.backend).toContain(loss === 'hinge' ? 'dual coordinate descent' : 'primal L-BFGS');
  });

  it('ranks the binary test split as well as logistic regression would (AUC > 0.95)', async () => {
    const data = taskData('binary', 4000, 4);
    const model = await trainLinearSvm(data);
    const p = model.predict(data.test.X, data.test.n);
    let concordant = 0;
    let pairs = 0;
    for (let i = 0; i < data.test.n; i++) {
      if (data.test.y[i] !== 1) continue;
      for (let j = 0; j < data.test.n; j++) {
        if (data.test.y[j] !== 0) continue;
        pairs++;
        concordant += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
      }
    }
    expect(concordant / pairs).toBeGreaterThan(0.95);
  });

  it('dual coordinate descent converges on separable clouds, every point outside the margin or on it', () => {
    const width = 4;
    const n = 2000;
    const { Z, sign, QD } = clouds(n, width, 1, false);
    // many points sit on the margin (the gap's edge): liblinear's eps of 1e-3 is reached, 1e-4 only slowly
    const solver = new DualCoordinateDescent(Z, sign, QD, n, width, 'hinge', 1, 1e-3);
    const random = seededRandom(2);
    while (!solver.done && solver.passes < 1000) solver.pass(random);
    expect(solver.done).toBe(true);
    for (let i = 0; i < n; i++) expect(sign[i] * margin(solver.w, Z, i, width)).toBeGreaterThan(1 - 1e-2);
    // the widest gap is along the first axis, from −1 to 1
    expect(solver.w[0]).toBeCloseTo(1, 2);
  });

  it('dual coordinate descent and the primal L-BFGS agree on the squared hinge of overlapping clouds', async () => {
    const width = 4;
    const n = 3000;
    const { Z, sign, QD } = clouds(n, width, 3, true);
    const C = 0.5;
    const solver = new DualCoordinateDescent(Z, sign, QD, n, width, 'squared_hinge', C, 1e-6);
    const random = seededRandom(4);
    while (!solver.done && solver.passes < 5000) solver.pass(random);
    expect(solver.done).toBe(true);
    // the same problem, column-major, for the primal
    const columns = new Float32Array(n * width);
    for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) columns[j * n + i] = Z[i * width + j];
    const y = Float32Array.from(sign, (s) => (s > 0 ? 1 : 0));
    const primal = await owlqn(squaredHingeObjective({ Z: columns, y, n, width, blocks: 1 }, C, true), new Float64Array(width + 1), { l1: new Float64Array(width + 1), maxIter: 500, tol: 1e-10 });
    expect(primal.converged).toBe(true);
    for (let j = 0; j <= width; j++) expect(primal.x[j]).toBeCloseTo(solver.w[j], 4);
    // some points inside the margin: the clouds overlap, the case the slack is for
    expect(Array.from({ length: n }, (_, i) => sign[i] * margin(solver.w, Z, i, width)).filter((m) => m < 0).length).toBeGreaterThan(50);
  });

  it('refuses a regression target and unknown losses', async () => {
    await expect(trainLinearSvm(taskData('regression', 100, 1))).rejects.toThrow(/this target is regression/);
    await expect(trainLinearSvm(taskData('binary', 100, 1), { loss: 'log' })).rejects.toThrow(/loss must be one of squared_hinge, hinge/);
  });
});
