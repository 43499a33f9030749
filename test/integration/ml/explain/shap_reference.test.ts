import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodedWidth } from '../../../../shared/data/encoding';
import { prepareTrainingData, type PreparedData } from '../../../../shared/data/prepare';
import { writeFraudCsv } from '../../../../shared/data/synthetic';
import { Explainer } from '../../../../shared/ml/explain/explainer';
import type { ExplainerModel } from '../../../../shared/ml/explain/explainer_file';
import { buildEnsemble } from '../../../../shared/ml/explain/tree_ensemble';
import { TreeShap } from '../../../../shared/ml/explain/tree_shap';
import { trainTable } from '../../../../shared/ml/models/trainers';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { ensureShapVenv, shapPython } from '../../../support/shap_venv';

/**
 * mloop's TreeSHAP against shap's TreeExplainer given the same trees and covers as arrays, per encoded
 * column, on the demo data and on a real dataset (R modeldata's attrition, read as bench/real_data.py
 * reads it): every holdout row to 1e-6, and base + Σ contributions = raw score on every one.
 */
const unavailable = ensureShapVenv();
const maybe = unavailable ? describe.skip : describe;
if (unavailable) console.warn(`skipping the shap reference check: ${unavailable}`);

const REFERENCE = path.join(__dirname, 'shap_reference.py');
const REAL_DATA = path.join(__dirname, '../../../../bench/real_data.py');
const FAMILIES: Array<[string, Record<string, unknown>]> = [
  ['gbdt', { num_iterations: 60 }],
  ['random_forest', { n_estimators: 15 }],
  ['extra_trees', { n_estimators: 15 }],
  ['isolation_forest', { n_estimators: 40 }],
];

type Trees = Extract<ExplainerModel, { kind: 'trees' }>;

function reference(model: Trees, X: Float32Array, width: number, n: number): { expected: number[]; phi: number[][][] } {
  const rows = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * width, (i + 1) * width)));
  const result = spawnSync(shapPython, [REFERENCE], { input: JSON.stringify({ outputs: model.outputs, base: model.base, trees: model.trees, X: rows }), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`shap_reference.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function check(data: PreparedData): Promise<void> {
  const width = encodedWidth(data.specs);
  const { X, n } = data.test;
  for (const [family, params] of FAMILIES) {
    const trained = await trainTable(family, data, params);
    const model = trained.explainer as Trees;
    expect(model.kind).toBe('trees');
    const shap = new TreeShap(
      buildEnsemble(model.outputs, model.base, model.trees.map((t) => ({ ...t, defaultLeft: t.default_left, leafCover: t.leaf_cover }))),
    );
    const theirs = reference(model, X, width, n);
    let worst = 0;
    for (let k = 0; k < model.outputs; k++) {
      expect(Math.abs(shap.baseValue(k) - theirs.expected[k])).toBeLessThan(1e-6);
      for (let i = 0; i < n; i++) {
        const phi = new Float64Array(width);
        shap.explain(X, i * width, k, phi);
        for (let j = 0; j < width; j++) worst = Math.max(worst, Math.abs(phi[j] - theirs.phi[k][i][j]));
      }
    }
    expect({ family, worst: worst < 1e-6 ? 'below 1e-6' : worst }).toEqual({ family, worst: 'below 1e-6' });
    if (process.env.MLOOP_SHOW_WORST) console.log(JSON.stringify({ family, rows: n, columns: width, worst }));
    // efficiency on every holdout row, on the original features
    const explainer = new Explainer(model, data.specs, data.classes, data.task === 'multiclass');
    for (const e of explainer.explain(X, width, n)) {
      expect(Math.abs(e.base_value + Object.values(e.contributions).reduce((a, b) => a + b, 0) - e.raw_score)).toBeLessThan(1e-6);
    }
  }
}

maybe('TreeSHAP against shap', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-shap-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees on the demo data', async () => {
    const csv = path.join(dir, 'demo.csv');
    await writeFraudCsv(csv, { rows: 4000, seed: 11 });
    const data = await prepareTrainingData(async () => createReadStream(csv), parseDatasetConfig({ target: 'isFraud' }), { seed: 1 });
    await check(data);
  }, 300_000);

  it('agrees on a real dataset (attrition)', async () => {
    const exported = spawnSync(shapPython, [REAL_DATA, 'export', dir], { encoding: 'utf8' });
    if (exported.status !== 0) throw new Error(`real_data.py export failed: ${exported.stderr}`);
    const csv = path.join(dir, 'attrition.csv');
    const data = await prepareTrainingData(async () => createReadStream(csv), parseDatasetConfig({ target: 'Attrition', task: 'binary', positive_class: 'Yes' }), { seed: 1 });
    await check(data);
  }, 300_000);
});
