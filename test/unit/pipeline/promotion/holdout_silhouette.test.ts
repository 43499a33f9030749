/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { FeatureSpec } from '../../../../shared/data/encoding';
import { encodeRecords } from '../../../../shared/data/encoding';
import { seededRandom } from '../../../../shared/data/random';
import type { Manifest } from '../../../../shared/ml/manifest';
import { trainTable } from '../../../../shared/ml/models/trainers';
import type { Scorer } from '../../../../shared/ml/scorer';
import { holdoutSilhouette } from '../../../../shared/pipeline/promotion/holdout_silhouette';
import { runOnnx } from '../../../support/onnx_run';

const numeric = (name: string): FeatureSpec => ({ name, kind: 'numeric', mean: 0, std: 1, min: -100, max: 100, fill: 0 });
const features = [numeric('a'), numeric('b')];

/** Rows around (0, 0), (10, 0) and (0, 10) in turn, as a holdout holds them: strings, with a label. */
function holdout(n: number, spread: number) {
  const random = seededRandom(9);
  const centres = [[0, 0], [10, 0], [0, 10]];
  return Array.from({ length: n }, (_, i) => {
    const [x, y] = centres[i % 3];
    return { label: i % 2, record: { a: String(x + spread * random.normal()), b: String(y + spread * random.normal()) } };
  });
}

/** A scorer of an exported model, as loadScorer opens it, reduced to what a holdout metric calls. */
function scorerOf(onnx: Uint8Array, output: string, clusters: number): Scorer {
  const manifest = { features, output: { name: output }, trainer: { params: { n_clusters: clusters } } } as unknown as Manifest;
  return {
    version: 'v1',
    manifest,
    engine: 'onnxruntime',
    scoreRecords: async (records) => runOnnx(onnx, encodeRecords(records, features), records.length, 2, output),
    predict: async () => ({ ok: false, errors: [] }),
    release: async () => undefined,
  };
}

describe('a clustering model judged on its holdout', () => {
  it('is measured by the silhouette of the clusters it gives the rows, higher for a better clustering', async () => {
    const train = holdout(600, 0.5);
    const X = encodeRecords(train.map((r) => r.record), features);
    const data = { task: 'binary' as const, classes: ['0', '1'], specs: features, train: { X, y: new Float32Array(600), n: 600 }, validation: { X, y: new Float32Array(600), n: 600 } };
    const three = await trainTable('kmeans', data, { n_clusters: 3 });
    const six = await trainTable('kmeans', data, { n_clusters: 6 });
    const rows = holdout(3000, 0.5);
    const good = await holdoutSilhouette(scorerOf(three.onnx, 'cluster', 3), 'v1', rows);
    const split = await holdoutSilhouette(scorerOf(six.onnx, 'cluster', 6), 'v2', rows);
    expect(good.value).toBeGreaterThan(0.9);
    expect(split.value).toBeLessThan(good.value!);
    // at most 2 000 rows, the first: champion and challenger see the same ones
    expect(good.predicted).toHaveLength(2000);
  });

  it('refuses to measure a model that answers no clusters', async () => {
    const data = { task: 'regression' as const, classes: null, specs: features, train: { X: Float32Array.of(0, 0, 1, 1, 2, 2), y: Float32Array.of(0, 1, 2), n: 3 }, validation: { X: new Float32Array(0), y: new Float32Array(0), n: 0 } };
    const knn = await trainTable('knn', data, { k: 1 });
    expect(await holdoutSilhouette(scorerOf(knn.onnx, 'value', 2), 'v7', holdout(10, 1))).toEqual({ value: null, error: 'v7 answers value, not clusters: a silhouette compares clusterings' });
  });
});
