/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { FeatureSpec } from '../../../../../shared/data/encoding';
import { seededRandom } from '../../../../../shared/data/random';
import { rocAuc } from '../../../../../shared/ml/metrics';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import { averagePathLength } from '../../../../../shared/ml/models/isolation_forest/train';
import { graphOf, runOnnx } from '../../../../support/onnx_run';
import { worstDifference } from '../../../../support/task_data';

const specs: FeatureSpec[] = [
  { name: 'a', kind: 'numeric', mean: 0, std: 1, min: -9, max: 9, fill: 0 },
  { name: 'b', kind: 'numeric', mean: 0, std: 1, min: -9, max: 9, fill: 0 },
  { name: 'flag', kind: 'boolean' },
  // constant in the data: a split on it is impossible and must be skipped, not looped on
  { name: 'c', kind: 'numeric', mean: 1, std: 0, min: 1, max: 1, fill: 1 },
];

/** Normal rows around the origin and 2 % outliers on a ring 4 to 7 away from it; y marks the outliers. */
function split(n: number, seed: number) {
  const random = seededRandom(seed);
  const X = new Float32Array(n * 4);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const outlier = random.next() < 0.02;
    const angle = 2 * Math.PI * random.next();
    const radius = 4 + 3 * random.next();
    const [a, b] = outlier ? [radius * Math.cos(angle), radius * Math.sin(angle)] : [random.normal(), random.normal()];
    X.set([a, b, random.next() < 0.3 ? 1 : 0, 1], i * 4);
    y[i] = outlier ? 1 : 0;
  }
  return { X, y, n };
}

const data = { task: 'binary' as const, classes: ['normal', 'outlier'], specs, train: split(4000, 1), validation: split(1000, 2) };
const test = split(2000, 3);

describe('isolation forest', () => {
  it('normalises path lengths with c(n), the average unsuccessful search in a binary search tree', () => {
    expect([averagePathLength(0), averagePathLength(1), averagePathLength(2)]).toEqual([0, 0, 1]);
    // 2·H(255) − 2·255/256 with H(i) ≈ ln i + γ, as in Liu et al.
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 4);
  });

  it('scores outliers high without reading a label, in [0, 1]', async () => {
    const progress: number[] = [];
    const model = await trainTable('isolation_forest', data, {}, (p) => {
      progress.push(p.iteration);
    });
    expect(progress).toEqual(Array.from({ length: 100 }, (_, t) => t + 1));
    expect(model.params).toEqual({ n_estimators: 100, max_samples: 256, seed: 42 });
    const scores = model.predict(test.X, test.n);
    expect(Math.min(...scores)).toBeGreaterThan(0);
    expect(Math.max(...scores)).toBeLessThan(1);
    expect(rocAuc(test.y, scores)).toBeGreaterThan(0.98);

    const unlabelled = { ...data, train: { ...data.train, y: new Float32Array(data.train.n).fill(NaN) } };
    const blind = await trainTable('isolation_forest', unlabelled, {});
    expect(Buffer.from(blind.onnx).equals(Buffer.from(model.onnx))).toBe(true);
  });

  it('exports a tree ensemble whose score onnxruntime computes as the trainer does (1e-5)', async () => {
    const model = await trainTable('isolation_forest', data, { n_estimators: 50, max_samples: 128, seed: 9 });
    const graph = graphOf(model.onnx);
    expect(graph.ops).toEqual(['TreeEnsembleRegressor', 'Mul', 'Pow']);
    expect(graph.opsets).toEqual([['', 17], ['ai.onnx.ml', 3]]);
    expect(graph.outputs).toEqual([['anomaly_score', ['N', 1]]]);
    const served = await runOnnx(model.onnx, test.X, test.n, 4, 'anomaly_score');
    expect(worstDifference(served, model.predict(test.X, test.n))).toBeLessThan(1e-5);
  });

  it('refuses what it cannot train on', async () => {
    await expect(trainTable('isolation_forest', data, { max_samples: 1 })).rejects.toThrow(/invalid isolation_forest parameters/);
    await expect(trainTable('isolation_forest', data, { trees: 10 })).rejects.toThrow(/unknown isolation_forest parameter "trees"/);
    await expect(trainTable('isolation_forest', { ...data, train: { X: new Float32Array(4), y: new Float32Array(1), n: 1 } })).rejects.toThrow(/at least 2/);
  });
});
