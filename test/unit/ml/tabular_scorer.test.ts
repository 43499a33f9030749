/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import type { FeatureSpec } from '../../../shared/data/encoding';
import { encodeRecords } from '../../../shared/data/encoding';
import type { Manifest } from '../../../shared/ml/manifest';
import { exportLinearOnnx } from '../../../shared/ml/models/linear/onnx';
import { predictLinear, type LinearModel } from '../../../shared/ml/models/linear/linear_model';
import { ONNX_OUTPUTS } from '../../../shared/ml/onnx_io';
import type { ExplainerModel } from '../../../shared/ml/explain/explainer_file';
import { trainGbdt } from '../../../shared/ml/models/gbdt/train';
import { loadScorer, type Prediction } from '../../../shared/ml/scorer';
import { FEATURES, rows as taskRows, taskData } from '../../support/task_data';

/**
 * A table's model scored on the caller's turn (predictNow), one-row requests through one input tensor
 * kept for them: every answer must be the model's for that request's own values, whatever came before.
 */
const features: FeatureSpec[] = [
  { name: 'a', kind: 'numeric', mean: 5, std: 1, min: 0, max: 10, fill: 5 },
  { name: 'c', kind: 'categorical', categories: ['x', 'y', 'z'] },
  { name: 'b', kind: 'boolean' },
];
const model: LinearModel = { width: 5, head: 'sigmoid', weights: Float64Array.of(0.3, 2, -1, 1.5, 3), bias: Float64Array.of(-1) };
const manifest = {
  model: 'm', version: 'v1', task: 'binary', classes: ['0', '1'], threshold: 0.5, target: 'label', dropped: [], features,
  input: { name: 'features', width: 5 }, output: { name: ONNX_OUTPUTS.binary }, unsupervised: undefined,
} as unknown as Manifest;

const expected = (rows: Array<Record<string, unknown>>) => Array.from(predictLinear(model, encodeRecords(rows, features), rows.length));

describe('a table scorer', () => {
  it('answers each request from its own values: a one-row request keeps nothing of the one or the batch before it', async () => {
    const scorer = await loadScorer(exportLinearOnnx(model, ONNX_OUTPUTS.binary), manifest);
    try {
      expect(scorer.predictNow).toBeDefined();
      const requests: Array<Array<Record<string, unknown>>> = [
        [{ a: 1, c: 'z', b: true }],
        [{ a: 2, c: 'x', b: false }, { a: null, c: 'y', b: true }],
        // nothing set where the first request had its one-hot and its boolean
        [{ a: 3, c: null, b: false }],
        [{ a: null, c: 'unseen', b: null }],
        [{ a: 7, c: 'y', b: 1 }, { a: 0, c: 'z', b: 0 }, { a: 9, c: 'x', b: true }],
        [{ a: 0, c: 'x', b: false }],
      ];
      for (const rows of requests) {
        const now = scorer.predictNow!(rows);
        if (!now.ok) throw new Error(JSON.stringify(now.errors));
        const scores = now.predictions.map((p) => (p as { score: number }).score);
        expected(rows).forEach((score, i) => expect(scores[i]).toBeCloseTo(score, 5));
        expect(now.predictions.map((p) => (p as { label: number }).label)).toEqual(scores.map((s) => (s >= 0.5 ? 1 : 0)));
        // the promise of predict answers the same, and so does scoreRecords
        expect(await scorer.predict(rows)).toEqual(now);
        expect(Array.from(await scorer.scoreRecords(rows))).toEqual(scores);
      }
      // the scores of one request are not overwritten by the next one
      const first = scorer.predictNow!([{ a: 1, c: 'z', b: true }]);
      const second = scorer.predictNow!([{ a: 3, c: 'x', b: false }]);
      expect(first.ok && second.ok && first.predictions[0]).not.toEqual(second.ok && second.predictions[0]);
      expect(first.ok && (first.predictions[0] as { score: number }).score).toBeCloseTo(expected([{ a: 1, c: 'z', b: true }])[0], 5);
    } finally {
      await scorer.release();
    }
  });

  it('refuses invalid instances before scoring, on either way in', async () => {
    const scorer = await loadScorer(exportLinearOnnx(model, ONNX_OUTPUTS.binary), manifest);
    try {
      const bad = [{ a: 'many', c: 'x', b: true }];
      expect(scorer.predictNow!(bad)).toMatchObject({ ok: false, errors: [{ index: 0, field: 'a' }] });
      expect(await scorer.predict(bad)).toEqual(scorer.predictNow!(bad));
      expect(scorer.predictNow!([])).toMatchObject({ ok: false });
    } finally {
      await scorer.release();
    }
  });

  it('scores a tree model from its trees when they agree with its graph, and with onnxruntime when they do not', async () => {
    const data = taskData('binary', 2000, 31);
    const trained = await trainGbdt(data, { num_iterations: 30, early_stopping_rounds: 0 });
    const treeManifest = { ...manifest, features: FEATURES, input: { name: 'features', width: data.train.X.length / data.train.n }, threshold: 0.3 } as unknown as Manifest;
    const explainer = trained.explainer as Extract<ExplainerModel, { kind: 'trees' }>;
    // every leaf moved: a file that no longer matches the graph beside it
    const stale: ExplainerModel = { ...explainer, trees: explainer.trees.map((t) => ({ ...t, value: t.value.map((v) => v + 0.2) })) };
    const requests = [taskRows(1, 5), taskRows(3, 6), taskRows(150, 7)];
    const onnxOnly = await loadScorer(trained.onnx, treeManifest);
    const byTrees = await loadScorer(trained.onnx, treeManifest, undefined, explainer);
    const byStale = await loadScorer(trained.onnx, treeManifest, undefined, stale);
    try {
      expect([onnxOnly.engine, byTrees.engine, byStale.engine]).toEqual(['onnxruntime', 'trees', 'onnxruntime']);
      const scores = (result: ReturnType<NonNullable<typeof onnxOnly.predictNow>>) => (result.ok ? result.predictions.map((p: Prediction) => (p as { score: number }).score) : []);
      for (const rows of requests) {
        const expected = scores(onnxOnly.predictNow!(rows));
        expect(expected).toHaveLength(rows.length);
        scores(byTrees.predictNow!(rows)).forEach((score, i) => expect(Math.abs(score - expected[i])).toBeLessThan(1e-5));
        expect(byTrees.predictNow!(rows)).toMatchObject({ ok: true, predictions: expected.map((s) => ({ label: s >= 0.3 ? 1 : 0 })) });
        expect(scores(byStale.predictNow!(rows))).toEqual(expected);
        Array.from(await byTrees.scoreRecords(rows)).forEach((score, i) => expect(Math.abs(score - expected[i])).toBeLessThan(1e-5));
      }
    } finally {
      await Promise.all([onnxOnly.release(), byTrees.release(), byStale.release()]);
    }
  });
});
