/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { FeatureSpec } from '../../../../../shared/data/encoding';
import { seededRandom } from '../../../../../shared/data/random';
import { centroidDistances, type KmeansModel } from '../../../../../shared/ml/models/kmeans/centroid_distances';
import { silhouette } from '../../../../../shared/ml/models/kmeans/silhouette';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import { graphOf } from '../../../../support/onnx_run';
import { taskData, worstDifference } from '../../../../support/task_data';

const numeric = (name: string): FeatureSpec => ({ name, kind: 'numeric', mean: 0, std: 1, min: -100, max: 100, fill: 0 });
const specs = [numeric('a'), numeric('b')];

/** Three tight blobs of `per` rows around (0, 0), (10, 0) and (0, 10), in that order; y is the blob. */
function blobs(per: number, seed: number) {
  const random = seededRandom(seed);
  const centres = [[0, 0], [10, 0], [0, 10]];
  const n = per * 3;
  const X = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / per);
    X[i * 2] = centres[c][0] + 0.5 * random.normal();
    X[i * 2 + 1] = centres[c][1] + 0.5 * random.normal();
    y[i] = c;
  }
  return { X, y, n };
}

const data = { task: 'multiclass' as const, classes: ['a', 'b', 'c'], specs, train: blobs(200, 1), validation: blobs(50, 2) };

async function runBoth(bytes: Uint8Array, X: Float32Array, n: number, width: number) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ features: new ort.Tensor('float32', X, [n, width]) });
    return { cluster: out.cluster.data as Float32Array, distances: out.distances.data as Float32Array };
  } finally {
    await session.release();
  }
}

describe('kmeans', () => {
  it('finds known clusters, one per blob, and reports inertia and silhouette', async () => {
    const progress: number[] = [];
    const model = await trainTable('kmeans', data, { n_clusters: 3 }, (p) => void progress.push(p.iteration));
    expect(progress).toEqual([1, 2, 3]);
    const clusters = model.predict(data.train.X, data.train.n);
    // every blob is one cluster, and the three clusters differ
    const of = [0, 1, 2].map((blob) => new Set(Array.from(clusters.subarray(blob * 200, (blob + 1) * 200))));
    expect(of.map((s) => s.size)).toEqual([1, 1, 1]);
    expect(new Set(of.map((s) => [...s][0])).size).toBe(3);
    const { inertia, silhouette: s, n_iter, clusters: k } = model.metrics!;
    // standardised, a blob's spread is 0.5 / (std of the whole ≈ 4.7) per axis: 600 rows × 2 axes × ≈ 0.011
    expect(inertia).toBeGreaterThan(8);
    expect(inertia).toBeLessThan(20);
    expect(s).toBeGreaterThan(0.9);
    expect(n_iter).toBeGreaterThanOrEqual(1);
    expect(k).toBe(3);
    expect(model.params).toEqual({ n_clusters: 3, n_init: 3, max_iter: 300, tol: 1e-4, silhouette_sample: 2000, seed: 42 });
  });

  it('is deterministic for a seed; n_init keeps the start of lowest inertia', async () => {
    const params = { n_clusters: 5, n_init: 4, seed: 3 };
    const first = await trainTable('kmeans', data, params);
    const again = await trainTable('kmeans', data, params);
    expect(Buffer.from(again.onnx).equals(Buffer.from(first.onnx))).toBe(true);
    expect(again.metrics).toEqual(first.metrics);
    const losses: number[] = [];
    await trainTable('kmeans', data, params, (p) => void losses.push(p.loss!));
    expect(first.metrics!.inertia / data.train.n).toBeCloseTo(Math.min(...losses), 10);
    const other = await trainTable('kmeans', data, { ...params, seed: 4 });
    expect(Buffer.from(other.onnx).equals(Buffer.from(first.onnx))).toBe(false);
  });

  it('measures the silhouette as scikit-learn does, on hand-made rows', () => {
    // clusters {0, 1} and {4}: for row 0, a = 1, b = 4, s = 0.75; row 1: a = 1, b = 3, s = 2/3; row 4 alone: 0
    const X = Float32Array.of(0, 1, 4);
    expect(silhouette(X, 3, 1, Int32Array.of(0, 0, 1), 2)).toBeCloseTo((0.75 + 2 / 3 + 0) / 3, 12);
    expect(silhouette(X, 3, 1, Int32Array.of(0, 0, 0), 2)).toBeNaN();
  });

  it('exports cluster and distances that onnxruntime computes as the trainer does (1e-5), on any target', async () => {
    const tasks = taskData('regression', 900, 5);
    const model = await trainTable('kmeans', tasks, { n_clusters: 6 });
    const graph = graphOf(model.onnx);
    expect(graph.opsets).toEqual([['', 17]]);
    expect(graph.ops).toEqual(['Sub', 'Div', 'Scan', 'ArgMin', 'Cast']);
    expect(graph.outputs).toEqual([['cluster', ['N', 1]], ['distances', ['N', 6]]]);
    const served = await runBoth(model.onnx, tasks.test.X, tasks.test.n, 6);
    expect(Array.from(served.cluster)).toEqual(Array.from(model.predict(tasks.test.X, tasks.test.n)));
    // the distances: the trainer's forward pass over the model the graph holds (its scaler and centroids)
    const own = centroidDistances(modelIn(model.onnx), tasks.test.X, tasks.test.n);
    expect(worstDifference(served.distances, own.distances)).toBeLessThan(1e-5);
    expect(Array.from(own.cluster)).toEqual(Array.from(served.cluster));
    for (let i = 0; i < tasks.test.n; i++) {
      const row = served.distances.subarray(i * 6, (i + 1) * 6);
      expect(row[served.cluster[i]]).toBe(Math.min(...row));
    }
    const blobsModel = await trainTable('kmeans', data, { n_clusters: 3 });
    const both = await runBoth(blobsModel.onnx, data.validation.X, data.validation.n, 2);
    expect(Array.from(both.cluster)).toEqual(Array.from(blobsModel.predict(data.validation.X, data.validation.n)));
    expect(both.distances.length).toBe(data.validation.n * 3);
  });

  it('refuses what it cannot train on, with the reason', async () => {
    const small = { ...data, train: { X: Float32Array.of(0, 0, 1, 1), y: Float32Array.of(0, 1), n: 2 } };
    await expect(trainTable('kmeans', small, { n_clusters: 3 })).rejects.toThrow(/n_clusters 3 needs at least 3 training rows, got 2/);
    await expect(trainTable('kmeans', data, { n_clusters: 1, tol: -1 })).rejects.toThrow(/invalid kmeans parameters: n_clusters must be an integer ≥ 2, got 1; tol must be a non-negative number/);
    await expect(trainTable('kmeans', data, { k: 3 })).rejects.toThrow(/unknown kmeans parameter "k"/);
  });
});

/** The scaler and centroids an exported graph carries, read back from its initializers. */
function modelIn(bytes: Uint8Array): KmeansModel {
  const initializers = onnx.ModelProto.decode(bytes).graph!.initializer!;
  const floats = (name: string) => {
    const raw = initializers.find((t) => t.name === name)!.rawData!;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };
  const centroids = initializers.find((t) => t.name === 'centroids')!;
  return { scaler: { mean: floats('scaler_mean'), std: floats('scaler_std') }, centroids: floats('centroids'), k: Number(centroids.dims![0]) };
}
