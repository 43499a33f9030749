/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import { parseDatasetConfig } from '../../../../../shared/pipeline/dataset_config';
import { encodedColumns, encodedWidth } from '../../../../../shared/data/encoding';
import { prepareTrainingData, type PreparedData } from '../../../../../shared/data/prepare';
import { writeFraudCsv } from '../../../../../shared/data/synthetic';
import { Manifest, parseManifest } from '../../../../../shared/ml/manifest';
import { evaluateBinary, rocAuc } from '../../../../../shared/ml/metrics';
import { loadScorer } from '../../../../../shared/ml/scorer';
import { trainTable } from '../../../../../shared/ml/models/trainers';
import type { TrainedModel } from '../../../../../shared/ml/trained_model';

function manifestFor(data: PreparedData, model: TrainedModel, algorithm: 'mlp' | 'logistic', threshold = 0.5): Manifest {
  const metrics = evaluateBinary(data.test.y, model.predict(data.test.X, data.test.n), threshold);
  return parseManifest(
    JSON.parse(
      JSON.stringify({
        format_version: 2,
        model: 'fraud',
        version: 'v1',
        run_id: 'run-1',
        task: 'binary',
        algorithm,
        target: data.target,
        classes: data.classes,
        features: data.specs,
        dropped: data.dropped,
        threshold,
        metrics,
        dataset: { version: 'd1', uri: 'data/datasets/fraud/paysim.csv', rows: data.report.rows },
        trainer: { backend: model.backend, params: model.params, best_iteration: model.bestIteration, history: model.history },
        input: { name: 'features', width: encodedWidth(data.specs) },
        output: { name: 'probability' },
        created_at: '2024-01-01T00:00:00.000Z',
      }),
    ),
  );
}

describe('training, ONNX export and scoring on synthetic fraud data', () => {
  let dir: string;
  let data: PreparedData;
  const trained: Partial<Record<'mlp' | 'logistic', TrainedModel>> = {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-train-'));
    const file = path.join(dir, 'paysim.csv');
    await writeFraudCsv(file, { rows: 20_000, seed: 8 });
    data = await prepareTrainingData(async () => createReadStream(file), parseDatasetConfig({}));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['mlp', 'logistic'] as const)('trains a %s that ranks fraud well, without leaking tensors', async (algorithm) => {
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const model = await trainTable(algorithm, data, { seed: 1 }, (p) => {
      progress.push(p.iteration);
      expect(p.iterations).toBe(30);
      expect(Number.isFinite(p.loss) && Number.isFinite(p.val_loss) && p.seconds >= 0).toBe(true);
    });
    trained[algorithm] = model;
    expect(tf.memory().numTensors).toBe(before);
    expect(model.backend).toBe('wasm');
    expect(progress).toEqual(model.history.map((h) => h.iteration));
    expect(model.bestIteration).toBeGreaterThanOrEqual(1);
    expect(model.history[model.bestIteration - 1].val_loss).toBe(Math.min(...model.history.map((h) => h.val_loss)));
    expect(model.params).toMatchObject({ epochs: 30, batch_size: 2048, learning_rate: 0.008, patience: 3, min_epochs: 10, class_weight: 'none', seed: 1 });
    // a logistic regression has no hidden layers, and its recorded parameters say none
    expect(model.params.hidden_units).toEqual(algorithm === 'mlp' ? [32, 16] : undefined);
    // the skewed money columns go through a signed log in the graph, the step count does not
    const initializers = (onnx.ModelProto.decode(model.onnx).graph as onnx.GraphProto).initializer;
    const mask = initializers.find((t) => t.name === 'log_mask')!.rawData!;
    const logged = encodedColumns(data.specs).filter((_, j) => mask[j] === 1).map((c) => c.feature);
    expect(logged).toEqual(expect.arrayContaining(['amount', 'oldbalanceOrg']));
    expect(logged).not.toContain('step');
    expect(rocAuc(data.test.y, model.predict(data.test.X, data.test.n))).toBeGreaterThan(0.8);
  });

  it.each(['mlp', 'logistic'] as const)('exports a %s that onnxruntime scores as the trainer does (1e-5)', async (algorithm) => {
    const model = trained[algorithm]!;
    const decoded = onnx.ModelProto.decode(model.onnx);
    const graph = decoded.graph as onnx.GraphProto;
    const shape = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(Number(decoded.irVersion)).toBe(8);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(graph.input.map((i) => [i.name, shape(i)])).toEqual([['features', ['N', 11]]]);
    expect(graph.output.map((o) => [o.name, shape(o)])).toEqual([['probability', ['N', 1]]]);
    const ops = graph.node.map((n) => n.opType);
    expect(ops.filter((op) => op === 'Gemm')).toHaveLength(algorithm === 'mlp' ? 3 : 1);
    expect(ops.slice(-1)).toEqual(['Sigmoid']);

    const scorer = await loadScorer(model.onnx, manifestFor(data, model, algorithm));
    try {
      const served = await scorer.scoreRecords(data.test.text.records());
      const own = model.predict(data.test.X, data.test.n);
      expect(served).toHaveLength(data.test.n);
      let worst = 0;
      for (let i = 0; i < own.length; i++) worst = Math.max(worst, Math.abs(served[i] - own[i]));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await scorer.release();
    }
  });

  it('repeats a training run exactly for a seed', async () => {
    const again = await trainTable('logistic', data, { seed: 1 });
    expect(again.history).toEqual(trained.logistic!.history);
    expect(Buffer.from(again.onnx).equals(Buffer.from(trained.logistic!.onnx))).toBe(true);
  });

  it('serves predictions with labels at the manifest threshold and explains bad instances', async () => {
    const model = trained.mlp!;
    const scorer = await loadScorer(model.onnx, manifestFor(data, model, 'mlp', 0.7));
    try {
      expect(scorer.version).toBe('v1');
      const rows = data.test.text.records().slice(0, 20);
      const json = rows.map((r) => ({ ...r, amount: Number(r.amount), step: Number(r.step), isFraud: 0, nameOrig: 'C1' }));
      const asNumbers = json.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'type' || typeof v !== 'string' ? v : Number(v)])));
      const result = await scorer.predict(asNumbers);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      const scores = await scorer.scoreRecords(rows);
      expect(result.predictions).toEqual(Array.from(scores, (score) => ({ score, label: score >= 0.7 ? 1 : 0 })));

      const bad = await scorer.predict([{ ...asNumbers[0], amount: 'lots' }]);
      expect(bad).toEqual({ ok: false, errors: [{ index: 0, field: 'amount', message: 'instances[0].amount: expected a number, got string "lots"' }] });
      expect(await scorer.scoreRecords([])).toHaveLength(0);
    } finally {
      await scorer.release();
    }
  });

  it('refuses a manifest whose width does not match its features', async () => {
    const manifest = manifestFor(data, trained.logistic!, 'logistic');
    expect(Manifest.safeParse({ ...manifest, input: { name: 'features', width: 3 } }).success).toBe(false);
    await expect(loadScorer(trained.logistic!.onnx, { ...manifest, input: { name: 'features', width: 3 } })).rejects.toThrow(/encode to 11 columns/);
  });
});
