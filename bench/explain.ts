import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodedWidth } from '../shared/data/encoding';
import { prepareTrainingData } from '../shared/data/prepare';
import { writeFraudCsv } from '../shared/data/synthetic';
import { Explainer } from '../shared/ml/explain/explainer';
import { buildEnsemble } from '../shared/ml/explain/tree_ensemble';
import { TreeShap } from '../shared/ml/explain/tree_shap';
import { trainTable } from '../shared/ml/models/trainers';
import { parseDatasetConfig } from '../shared/pipeline/dataset_config';

/**
 * One row explained in process (TreeSHAP over every tree, the contributions summed onto the original
 * features, the link applied) for the demo gbdt model (100 000 rows of `mloop generate`, a learning rate low enough that all 300 trees are kept), against the anchor of the same run:
 * the trainer's own forward pass on the same row. `npm run bench:explain`; one JSON line per measurement.
 */
const REPEATS = 3000;

function percentiles(ms: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-explain-'));
  try {
    const csv = path.join(dir, 'demo.csv');
    await writeFraudCsv(csv, { rows: 100_000, seed: 1 });
    const data = await prepareTrainingData(async () => createReadStream(csv), parseDatasetConfig({ target: 'isFraud' }), { seed: 1 });
    const model = await trainTable('gbdt', data, { early_stopping_rounds: 0, learning_rate: 0.005 });
    const explainer = new Explainer(model.explainer!, data.specs, data.classes, false);
    const width = encodedWidth(data.specs);
    const { X, n } = data.test;
    const trees = model.explainer!.kind === 'trees' ? model.explainer!.trees.length : 0;
    const load = os.loadavg()[0];
    const time = (name: string, run: (i: number) => unknown) => {
      for (let i = 0; i < 300; i++) run(i % n);
      const ms: number[] = [];
      const cpu = process.cpuUsage();
      for (let r = 0; r < REPEATS; r++) {
        const i = r % n;
        const started = performance.now();
        run(i);
        ms.push(performance.now() - started);
      }
      const used = process.cpuUsage(cpu);
      const p = percentiles(ms);
      // CPU time per row is what the load of other processes on the machine changes least
      const cpuMs = (used.user + used.system) / 1000 / REPEATS;
      console.log(JSON.stringify({ bench: 'explain', measure: name, trees, width, rows: REPEATS, p50_ms: +p.p50.toFixed(4), p99_ms: +p.p99.toFixed(4), mean_ms: +p.mean.toFixed(4), cpu_ms_per_row: +cpuMs.toFixed(4), load_1m: load }));
      return { ...p, cpu: cpuMs };
    };
    const anchor = time('predict_one_row', (i) => model.predict(X.subarray(i * width, (i + 1) * width), 1));
    const explained = time('explain_one_row', (i) => explainer.explain(X.subarray(i * width, (i + 1) * width), width, 1));
    // TreeSHAP alone, without the link, the grouping and the answer's objects; and how long the paths are
    const m = model.explainer! as Extract<typeof model.explainer, { kind: 'trees' }>;
    const ensemble = buildEnsemble(m.outputs, m.base, m.trees.map((t) => ({ ...t, defaultLeft: t.default_left, leafCover: t.leaf_cover })));
    const depths = new Array<number>(ensemble.maxDepth + 1).fill(0);
    for (let l = 0; l < ensemble.value.length; l++) depths[ensemble.uniqueStart[l + 1] - ensemble.uniqueStart[l]]++;
    console.log(JSON.stringify({ bench: 'explain', measure: 'leaves_by_distinct_features_on_path', leaves: depths }));
    const phi = new Float64Array(width);
    const shap = new TreeShap(ensemble);
    time('tree_shap_only', (i) => shap.explain(X, i * width, 0, phi));
    console.log(JSON.stringify({ bench: 'explain', measure: 'ratio_to_predict', p99_ratio: +(explained.p99 / anchor.p99).toFixed(2), p50_ratio: +(explained.p50 / anchor.p50).toFixed(2), cpu_ratio: +(explained.cpu / anchor.cpu).toFixed(2) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
