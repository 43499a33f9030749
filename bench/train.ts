import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatasetConfig } from '../shared/pipeline/dataset_config';
import { encodedWidth } from '../shared/data/encoding';
import { prepareTrainingData, type PreparedData } from '../shared/data/prepare';
import { writeFraudCsv } from '../shared/data/synthetic';
import { prAuc, rocAuc } from '../shared/ml/metrics';
import { DEFAULT_GBDT_PARAMS } from '../shared/ml/models/gbdt/params';
import { LINEAR_DEFAULTS } from '../shared/ml/models/linear/params';
import { LINEAR_SVM_DEFAULTS } from '../shared/ml/models/linear_svm/params';
import { DEFAULT_EXTRA_TREES_PARAMS, DEFAULT_RANDOM_FOREST_PARAMS } from '../shared/ml/models/forest/params';
import { trainTable } from '../shared/ml/models/trainers';
import { resolveKnnParams } from '../shared/ml/models/knn/params';
import { storedRows } from '../shared/ml/models/knn/stored_sample';

/**
 * Training speed and quality on the demo fraud data, mloop's models beside LightGBM and scikit-learn's
 * MLP, linear models, forests, KNeighborsClassifier and KMeans trained on the same split with the same hyper-parameters. `npm run bench:train [rows:model,model ...]`,
 * by default 100 k and 1 M rows for every model and 6.3 M rows for gbdt and LightGBM. Each run is a
 * child process, so that its peak RSS is its own; runs go one after another, so that they do not share
 * the cores. One JSON line per model and size:
 *
 *   seconds             training only (gbdt: binning included; LightGBM: Dataset construction included)
 *   cpu_seconds         CPU time of all the process's threads while training (mloop, scikit-learn's MLP)
 *   data_seconds        CSV → prepared matrices (mloop's reader; the references read the matrices mloop prepared)
 *   end_to_end_seconds  data + training + scoring the test split
 *   rows_per_s          rows / seconds
 *   peak_rss_mb         of the whole process (mloop: data and training; references: the Python process)
 *   load_1m             the machine's load average when the run started: the cores are shared
 *
 * Environment: MLOOP_BENCH_VENV (default <tmp>/lgbm-venv) is created if absent from the wheels in
 * MLOOP_BENCH_WHEELS (default /opt/pypi/files); MLOOP_BENCH_EARLY_STOPPING (default 0: every round).
 */
const DEFAULT_RUNS = ['100000:gbdt,lightgbm,mlp,sklearn_mlp', '1000000:gbdt,lightgbm,mlp,sklearn_mlp', '6300000:gbdt,lightgbm', '100000:random_forest,sklearn_rf,extra_trees,sklearn_et', '1000000:random_forest,sklearn_rf,extra_trees,sklearn_et', '100000:linear,sklearn_logistic,linear_l1,sklearn_logistic_l1,linear_svm,sklearn_linearsvc', '1000000:linear,sklearn_logistic,linear_l1,sklearn_logistic_l1,linear_svm,sklearn_linearsvc', '100000:knn,sklearn_knn,kmeans,sklearn_kmeans', '1000000:knn,sklearn_knn,kmeans,sklearn_kmeans'];
const VENV = process.env.MLOOP_BENCH_VENV ?? path.join(os.tmpdir(), 'lgbm-venv');
const WHEELS = process.env.MLOOP_BENCH_WHEELS ?? '/opt/pypi/files';
const DATA_DIR = path.join(os.tmpdir(), 'mloop-bench');
const DATA_SEED = 1;

/** gbdt's own defaults (the "about 300 rounds"), handed to LightGBM alike; threads set per model. */
const { num_threads: _threads, ...GBDT_DEFAULTS } = DEFAULT_GBDT_PARAMS;
const GBDT_PARAMS = {
  ...GBDT_DEFAULTS,
  early_stopping_rounds: Number(process.env.MLOOP_BENCH_EARLY_STOPPING ?? 0),
};
/** LightGBM's threads; gbdt picks its own (its backend is in the line). */
const REFERENCE_THREADS = 2;
/**
 * scikit-learn's MLP as the issue measured it (batch 512, rate 0.003, stopping on 3 epochs without a
 * better training loss); mloop's mlp gets the same layers, epoch budget and seed, and its own defaults
 * for the rest (batch 2 048, rate 0.008, smoothed validation-loss patience after 10 epochs, no class
 * weights), as a user's run would.
 */
const SKLEARN_MLP_PARAMS = { hidden_units: [32, 16], batch_size: 512, learning_rate: 0.003, epochs: 30, patience: 3, seed: 42 };
const MLP_PARAMS = { hidden_units: [32, 16], epochs: 30, seed: 42 };

/** The linear families' defaults, handed to scikit-learn alike (C = 1 / (n · alpha) for LogisticRegression). */
const LINEAR_L1_PARAMS = { ...LINEAR_DEFAULTS, penalty: 'l1' };
/** The forests' own defaults; scikit-learn's forests get the ones it shares (forest_params in reference.py), on two threads. */
const { num_threads: _rfThreads, ...RF_PARAMS } = DEFAULT_RANDOM_FOREST_PARAMS;
const { num_threads: _etThreads, ...ET_PARAMS } = DEFAULT_EXTRA_TREES_PARAMS;
/**
 * Handed to mloop's knn and to scikit-learn's KNeighborsClassifier alike, which is given the very rows
 * knn stored (all of them while rows × columns ≤ max_stored_values, a stratified sample above).
 */
const KNN_PARAMS = { k: 25, distance: 'euclidean', weights: 'uniform' };
/** Handed to mloop's kmeans and to scikit-learn's KMeans alike (both standardise the features first). */
const KMEANS_PARAMS = { n_clusters: 8, n_init: 3, max_iter: 300, tol: 1e-4, seed: 42 };

/** One of mloop's families, or a reference. */
type Model = string;
const REFERENCES: Record<string, { algorithm: string; params: Record<string, unknown> }> = {
  lightgbm: { algorithm: 'gbdt', params: { ...GBDT_PARAMS, num_threads: REFERENCE_THREADS } },
  sklearn_mlp: { algorithm: 'mlp', params: SKLEARN_MLP_PARAMS },
  sklearn_logistic: { algorithm: 'linear', params: LINEAR_DEFAULTS },
  sklearn_logistic_l1: { algorithm: 'linear', params: LINEAR_L1_PARAMS },
  sklearn_linearsvc: { algorithm: 'linear_svm', params: LINEAR_SVM_DEFAULTS },
  sklearn_rf: { algorithm: 'random_forest', params: { ...RF_PARAMS, n_jobs: REFERENCE_THREADS } },
  sklearn_et: { algorithm: 'extra_trees', params: { ...ET_PARAMS, n_jobs: REFERENCE_THREADS } },
  sklearn_knn: { algorithm: 'knn', params: KNN_PARAMS },
  sklearn_kmeans: { algorithm: 'kmeans', params: KMEANS_PARAMS },
};
const PARAMS: Partial<Record<string, Record<string, unknown>>> = { gbdt: GBDT_PARAMS, mlp: MLP_PARAMS, linear_l1: LINEAR_L1_PARAMS, random_forest: RF_PARAMS, extra_trees: ET_PARAMS, knn: KNN_PARAMS, kmeans: KMEANS_PARAMS };
/** A line of the bench that trains a family with other parameters than its own name's. */
const VARIANTS: Partial<Record<string, string>> = { linear_l1: 'linear' };
/** A clustering answers no score: its line has inertia and silhouette instead of AUCs. */
const CLUSTERING = new Set(['kmeans', 'sklearn_kmeans']);

const round = (x: number, digits: number) => +x.toFixed(digits);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function prepare(file: string): Promise<{ data: PreparedData; seconds: number }> {
  const started = performance.now();
  const data = await prepareTrainingData(async () => createReadStream(file), parseDatasetConfig({}));
  return { data, seconds: (performance.now() - started) / 1000 };
}

function describe(model: Model, rows: number, data: PreparedData) {
  return { model, rows, features: data.specs.length, columns: encodedWidth(data.specs), train_rows: data.train.n };
}

async function runMloop(algorithm: string, file: string, rows: number, load: number) {
  const started = performance.now();
  const { data, seconds: dataSeconds } = await prepare(file);
  const trainStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  const model = await trainTable(VARIANTS[algorithm] ?? algorithm, data, PARAMS[algorithm] ?? {});
  const seconds = (performance.now() - trainStarted) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const predictStarted = performance.now();
  const scores = model.predict(data.test.X, data.test.n);
  const predictSeconds = (performance.now() - predictStarted) / 1000;
  return {
    ...describe(algorithm, rows, data),
    seconds: round(seconds, 2),
    cpu_seconds: round((cpu.user + cpu.system) / 1e6, 2),
    rows_per_s: Math.round(rows / seconds),
    peak_rss_mb: peakRssMb(),
    ...(CLUSTERING.has(algorithm) ? {} : { auc: round(rocAuc(data.test.y, scores), 5), pr_auc: round(prAuc(data.test.y, scores), 5) }),
    // kmeans: inertia, silhouette; knn: the rows it stored of the training split's
    ...Object.fromEntries(Object.entries(model.metrics ?? {}).map(([k, v]) => [k, round(v, 5)])),
    // scoring the test split: what a knn spends its time on
    predict_seconds: round(predictSeconds, 2),
    iterations: model.history.length,
    best_iteration: model.bestIteration,
    ...Object.fromEntries(Object.entries(model.metrics ?? {}).map(([k, v]) => [k, round(v, 5)])),
    backend: model.backend,
    data_seconds: round(dataSeconds, 2),
    end_to_end_seconds: round((performance.now() - started) / 1000, 2),
    load_1m: load,
  };
}

function writeSplit(dir: string, name: string, split: { X: Float32Array; y: Float32Array }): void {
  writeFileSync(path.join(dir, `${name}_X.f32`), split.X);
  writeFileSync(path.join(dir, `${name}_y.f32`), split.y);
}

/** The training rows mloop's knn stores with these parameters, for scikit-learn's to be fitted on. */
function knnStored(data: PreparedData): { X: Float32Array; y: Float32Array } {
  const width = encodedWidth(data.specs);
  const p = resolveKnnParams(KNN_PARAMS);
  const kept = storedRows(data.train.y, data.train.n, 2, Math.floor(p.max_stored_values / width), p.seed);
  const X = new Float32Array(kept.length * width);
  kept.forEach((row, i) => X.set(data.train.X.subarray(row * width, (row + 1) * width), i * width));
  return { X, y: Float32Array.from(kept, (row) => data.train.y[row]) };
}

/** The reference reads the matrices mloop prepared, so both train on the same rows and the same encoding. */
async function runReference(model: Model, file: string, rows: number, load: number) {
  const { data, seconds: dataSeconds } = await prepare(file);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-split-'));
  try {
    const train = model === 'sklearn_knn' ? knnStored(data) : data.train;
    writeSplit(dir, 'train', train);
    writeSplit(dir, 'validation', data.validation);
    writeSplit(dir, 'test', data.test);
    const width = String(encodedWidth(data.specs));
    const script = path.join(__dirname, '..', '..', 'bench', 'reference.py');
    const env = { ...process.env, OMP_NUM_THREADS: String(REFERENCE_THREADS), OPENBLAS_NUM_THREADS: String(REFERENCE_THREADS) };
    const result = spawnSync(python(), [script, model, dir, width, JSON.stringify(REFERENCES[model].params)], { encoding: 'utf8', env });
    if (result.status !== 0) throw new Error(`${model} failed: ${result.stderr}`);
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!);
    return {
      ...describe(model, rows, data),
      seconds: round(out.seconds, 2),
      ...(out.cpu_seconds !== undefined ? { cpu_seconds: round(out.cpu_seconds, 2) } : {}),
      rows_per_s: Math.round(rows / out.seconds),
      peak_rss_mb: Math.round(out.peak_rss_mb),
      ...(out.auc !== undefined ? { auc: round(out.auc, 5), pr_auc: round(out.pr_auc, 5) } : {}),
      ...(out.inertia !== undefined ? { inertia: round(out.inertia, 5), silhouette: round(out.silhouette, 5) } : {}),
      ...(model === 'sklearn_knn' ? { stored_rows: train.y.length, training_rows: data.train.n } : {}),
      ...(out.predict_seconds !== undefined ? { predict_seconds: round(out.predict_seconds, 2) } : {}),
      iterations: out.iterations,
      ...(out.best_iteration ? { best_iteration: out.best_iteration } : {}),
      ...(out.oob_score !== undefined ? { oob_score: round(out.oob_score, 5) } : {}),
      ...(out.leaves_per_tree ? { leaves_per_tree: out.leaves_per_tree } : {}),
      backend: model === 'lightgbm' ? `lightgbm, ${REFERENCE_THREADS} threads` : (out.backend ?? (model === 'sklearn_mlp' ? 'scikit-learn' : `scikit-learn, ${REFERENCE_THREADS} jobs`)),
      data_seconds: round(dataSeconds, 2),
      load_1m: load,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const python = () => path.join(VENV, 'bin', 'python');

/** The venv with LightGBM and scikit-learn, built from local wheels when missing; null (and why) when impossible. */
function ensureVenv(): string | null {
  const works = () => existsSync(python()) && spawnSync(python(), ['-c', 'import lightgbm, sklearn, numpy']).status === 0;
  if (works()) return null;
  const wheels = existsSync(WHEELS) ? readdirSync(WHEELS).filter((f) => /^lightgbm-.*\.whl$/.test(f)) : [];
  if (wheels.length === 0) return `no lightgbm wheel in ${WHEELS} (set MLOOP_BENCH_WHEELS to a folder with lightgbm-*.whl)`;
  const steps: string[][] = [
    ['python3', '-m', 'venv', VENV],
    [path.join(VENV, 'bin', 'pip'), 'install', '--quiet', '--no-index', '--find-links', WHEELS, 'lightgbm', 'scikit-learn', 'pandas'],
  ];
  for (const [command, ...args] of steps) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  }
  if (!works()) throw new Error(`${VENV} was built but cannot import lightgbm and scikit-learn`);
  return null;
}

async function child(model: Model, file: string, rows: number, load: number) {
  const line = model in REFERENCES ? await runReference(model, file, rows, load) : await runMloop(model, file, rows, load);
  console.log(JSON.stringify(line));
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'child') return child(args[0] as Model, args[1], Number(args[2]), Number(args[3]));
  const runs = (mode ? [mode, ...args] : DEFAULT_RUNS).map((spec) => {
    const [rows, models] = spec.split(':');
    return { rows: Number(rows), models: (models ?? 'gbdt,lightgbm').split(',') as Model[] };
  });
  const unavailable = runs.some((r) => r.models.some((m) => m in REFERENCES)) ? ensureVenv() : null;
  mkdirSync(DATA_DIR, { recursive: true });
  for (const { rows, models } of runs) {
    const file = path.join(DATA_DIR, `fraud-${rows}.csv`);
    if (!existsSync(file)) await writeFraudCsv(file, { rows, seed: DATA_SEED });
    for (const model of models) {
      if (unavailable && model in REFERENCES) {
        console.log(JSON.stringify({ model, rows, skipped: unavailable }));
        continue;
      }
      const load = round(os.loadavg()[0], 2);
      const result = spawnSync(process.execPath, [process.argv[1], 'child', model, file, String(rows), String(load)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`${model} on ${rows} rows failed (exit ${result.status})`);
      process.stdout.write(result.stdout);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
