/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { onnx } from 'onnx-proto';
import type { FeatureSpec } from '../../../../../shared/data/encoding';
import type { Task } from '../../../../../shared/data/prepare';
import { rocAuc } from '../../../../../shared/ml/metrics';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import { ONNX_OUTPUTS } from '../../../../../shared/ml/onnx_io';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { taskData, worstDifference } from '../../../../support/task_data';

const x: FeatureSpec = { name: 'x', kind: 'numeric', mean: 0, std: 1, min: -100, max: 100, fill: 0 };
const y2: FeatureSpec = { ...x, name: 'y' };

/** Points on a line at 0, 1, 2, …, 9; the target is their label. */
function line(task: Task, labels: number[]) {
  const n = labels.length;
  const split = { X: Float32Array.from({ length: n }, (_, i) => i), y: Float32Array.from(labels), n };
  return { task, classes: task === 'regression' ? null : task === 'binary' ? ['no', 'yes'] : ['a', 'b', 'c'], specs: [x], train: split, validation: split };
}

describe('knn', () => {
  it('answers the vote of the k nearest stored rows, known by hand', async () => {
    // labels 0 0 0 1 1 1 1 0 0 0 at x = 0..9; standardising does not change who is nearest on one axis
    const data = line('binary', [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
    const model = await trainTable('knn', data, { k: 3 });
    // x = 4.2: nearest 4, 5, 3 → all positive; x = 1: 1, 0, 2 → none; x = 6.9: 7, 6, 8 → one of three
    const p = model.predict(Float32Array.of(4.2, 1, 6.9), 3);
    expect(Array.from(p)).toEqual([1, 0, Math.fround(1 / 3)]);
    expect(model.params).toEqual({ k: 3, distance: 'euclidean', weights: 'uniform', max_stored_values: 1_000_000, seed: 42 });
    expect(model.metrics).toEqual({ stored_rows: 10, training_rows: 10, stored_sampled: 0 });
  });

  it('breaks a tie in distance for the stored row of lower index, as ONNX TopK does', async () => {
    // half-way points: whichever float32 rounding makes nearer, trainer and graph pick the same
    const data = line('binary', [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
    const model = await trainTable('knn', data, { k: 1 });
    const halfway = Float32Array.of(2.5, 6.5, 0.5, 8.5);
    expect(await runOnnx(model.onnx, halfway, 4, 1, ONNX_OUTPUTS.binary)).toEqual(model.predict(halfway, 4));
    // duplicated stored rows, exactly as far: the earlier copy is the neighbour, whichever its label
    for (const labels of [[1, 0, 0], [0, 1, 0]]) {
      const dup = { ...data, train: { X: Float32Array.of(5, 5, 0), y: Float32Array.from(labels), n: 3 } };
      const first = await trainTable('knn', dup, { k: 1 });
      expect(Array.from(first.predict(Float32Array.of(5, 4), 2))).toEqual([labels[0], labels[0]]);
      expect(Array.from(await runOnnx(first.onnx, Float32Array.of(5, 4), 2, 1, ONNX_OUTPUTS.binary))).toEqual([labels[0], labels[0]]);
    }
  });

  it('weighs by 1/d, an exact match outweighing all, and measures Manhattan distances', async () => {
    const data = { ...line('regression', []), specs: [x, y2], train: { X: Float32Array.of(0, 0, 3, 0, 0, 4), y: Float32Array.of(10, 20, 40), n: 3 } };
    // standardised: x has mean 1, std √2; y mean 4/3, std √(32/9); the query at the origin is a stored row
    const weighted = await trainTable('knn', data, { k: 3, weights: 'distance' });
    expect(weighted.predict(Float32Array.of(0, 0), 1)[0]).toBeCloseTo(10, 5);
    const uniform = await trainTable('knn', data, { k: 2 });
    expect(uniform.predict(Float32Array.of(0, 0), 1)[0]).toBeCloseTo(15, 5);
    // (3, 3): standardised it is (1.414, 0.884) away in |·| from (0, 0)'s (−0.707, −0.707)… Manhattan
    // ranks (3, 0) first (|Δ| = 0 + 1.59) and (0, 4) second (2.12 + 0.53) where Euclid agrees here
    const manhattan = await trainTable('knn', data, { k: 1, distance: 'manhattan' });
    expect(manhattan.predict(Float32Array.of(3, 3), 1)[0]).toBe(20);
    expect(await runOnnx(manhattan.onnx, Float32Array.of(3, 3), 1, 2, ONNX_OUTPUTS.regression)).toEqual(Float32Array.of(20));
  });

  it.each([
    ['binary', 'euclidean', 'uniform'],
    ['binary', 'manhattan', 'distance'],
    ['multiclass', 'euclidean', 'distance'],
    ['multiclass', 'manhattan', 'uniform'],
    ['regression', 'euclidean', 'distance'],
    ['regression', 'manhattan', 'uniform'],
  ] as const)('exports a %s %s/%s graph onnxruntime answers as the trainer does (1e-5)', async (task, distance, weights) => {
    const data = taskData(task, 900, 5);
    const model = await trainTable('knn', data, { k: 7, distance, weights });
    const graph = graphOf(model.onnx);
    expect(graph.opsets).toEqual([['', 17]]);
    expect(graph.ops.slice(0, 4)).toEqual(['Sub', 'Div', 'Scan', 'Gather']);
    const K = task === 'multiclass' ? 3 : 1;
    expect(graph.outputs).toEqual([[ONNX_OUTPUTS[task], ['N', K]]]);
    const width = 6;
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, ONNX_OUTPUTS[task]);
    expect(worstDifference(served, model.predict(data.test.X, data.test.n))).toBeLessThan(1e-5);
    // the training rows themselves: exact matches, distance 0
    const own = await runOnnx(model.onnx, data.train.X.slice(0, 200 * width), 200, width, ONNX_OUTPUTS[task]);
    expect(worstDifference(own, model.predict(data.train.X, 200))).toBeLessThan(1e-5);
  });

  it('learns: a test AUC well above chance on the synthetic fraud-like target', async () => {
    const data = taskData('binary', 1500, 3);
    const model = await trainTable('knn', data, {});
    expect(model.params.k).toBe(10); // √1500 / 4 ≈ 9.7
    expect(rocAuc(data.test.y, model.predict(data.test.X, data.test.n))).toBeGreaterThan(0.85);
  });

  it('stores a seeded, stratified sample above max_stored_values, and says so', async () => {
    const data = taskData('binary', 1500, 3);
    const width = 6;
    const model = await trainTable('knn', data, { max_stored_values: 300 * width, seed: 7 });
    expect(model.metrics).toEqual({ stored_rows: 300, training_rows: 1500, stored_sampled: 1 });
    const again = await trainTable('knn', data, { max_stored_values: 300 * width, seed: 7 });
    expect(Buffer.from(again.onnx).equals(Buffer.from(model.onnx))).toBe(true);
    const other = await trainTable('knn', data, { max_stored_values: 300 * width, seed: 8 });
    expect(Buffer.from(other.onnx).equals(Buffer.from(model.onnx))).toBe(false);
    // the positives' share is kept: stratified on the class
    const positives = data.train.y.reduce((a, b) => a + b, 0);
    const stored = graphStoredTargets(model.onnx);
    expect(Math.abs(stored - (positives * 300) / 1500)).toBeLessThanOrEqual(1);
    const served = await runOnnx(model.onnx, data.test.X, data.test.n, width, 'probability');
    expect(worstDifference(served, model.predict(data.test.X, data.test.n))).toBeLessThan(1e-5);
  });

  it('refuses what it cannot train on, with the reason', async () => {
    const data = taskData('binary', 100, 3);
    await expect(trainTable('knn', data, { max_stored_values: 3 })).rejects.toThrow(/holds not one row of 6 encoded columns: raise it to at least 6/);
    await expect(trainTable('knn', data, { k: -1, distance: 'cosine', weights: 'gaussian' })).rejects.toThrow(
      /invalid knn parameters: k must be a non-negative integer .*; distance must be "euclidean" or "manhattan", got "cosine"; weights must be "uniform" or "distance", got "gaussian"/,
    );
    await expect(trainTable('knn', data, { neighbours: 3 })).rejects.toThrow(/unknown knn parameter "neighbours"/);
  });
});

/** The sum of the stored binary targets, read back from the graph's initializer. */
function graphStoredTargets(bytes: Uint8Array): number {
  const targets = onnx.ModelProto.decode(bytes).graph!.initializer!.find((t) => t.name === 'targets')!;
  const raw = targets.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)).reduce((a, b) => a + b, 0);
}
