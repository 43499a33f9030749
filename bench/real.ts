import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodedWidth } from '../shared/data/encoding';
import { prepareTrainingData, type PreparedData, type Task } from '../shared/data/prepare';
import { FAMILY_NAMES, family as familyOf } from '../shared/ml/models/registry';
import { trainTable } from '../shared/ml/models/trainers';
import type { TrainedModel } from '../shared/ml/trained_model';
import { parseDatasetConfig } from '../shared/pipeline/dataset_config';

/**
 * mloop's families beside their scikit-learn (and LightGBM) counterparts on real data: datasets of R's
 * modeldata package (installed by `apt-get install r-cran-modeldata`), converted to CSV by
 * bench/real_data.py, prepared once by mloop's own data path, and split once; the split's encoded
 * matrices are written to files that the references read, so both sides learn from the same rows and
 * the same features and are scored by the same functions on the same test rows. Every model trains with
 * its library's defaults (mloop: the family's defaults; the references: scikit-learn's and LightGBM's),
 * on the train split; mloop's families also see the validation split, which they use to stop early.
 *
 *   npm run bench:real [dataset,dataset ...] [-- --families gbdt,auto,auto(single),auto(all)] [--seeds 42,1,2,3,4] [--no-references]
 *
 * --no-references trains mloop's families alone (one line each), for auto's shortfall.
 *
 * One JSON line per (seed, dataset, family, reference): the test AUC (binary), macro AUC (multiclass) or
 * RMSE and R² (regression) of both sides and mloop's minus the reference's; one line per family the
 * registry does not hold; and per dataset one line for `auto` against the best single family on test.
 * Each seed draws its own split and seeds the models on both sides with it; after the seeds, one
 * `summary` line per (dataset, family, reference) with the mean difference and its standard error over
 * the seeds (for auto, the mean shortfall against the best single family).
 *
 * A reference line says which `parameters` it compares: "library defaults" (each side its own), or
 * "same parameters" (a reference variant, suffixed `_same`, handed the parameters mloop's model chose
 * where the two spell the same model differently: knn's k, the linear penalty mapped to scikit-learn's
 * scaling).
 *
 * Environment: MLOOP_BENCH_REAL_VENV (default <tmp>/mloop-real-venv) is created if absent from the
 * wheels in MLOOP_BENCH_WHEELS (default /opt/pypi/files); MLOOP_MODELDATA, the modeldata lazy-load
 * database without its extension (default Debian's).
 */
const VENV = process.env.MLOOP_BENCH_REAL_VENV ?? path.join(os.tmpdir(), 'mloop-real-venv');
const WHEELS = process.env.MLOOP_BENCH_WHEELS ?? '/opt/pypi/files';
// one folder per run, so two runs side by side do not overwrite each other's splits; removed at the end
const DIR = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-real-'));
const DEFAULT_SEEDS = [42];
const SCRIPT = path.join(__dirname, '..', '..', 'bench', 'real_data.py');

/** Each mloop family and the anchors it is compared with, per kind of target. */
const ANCHORS: Record<string, { classification: string[]; regression: string[] }> = {
  gbdt: { classification: ['lightgbm', 'hist_gradient_boosting'], regression: ['lightgbm', 'hist_gradient_boosting'] },
  random_forest: { classification: ['random_forest'], regression: ['random_forest'] },
  extra_trees: { classification: ['extra_trees'], regression: ['extra_trees'] },
  linear: { classification: ['logistic_regression', 'logistic_regression_same'], regression: ['ridge', 'lasso', 'elastic_net', 'linear_same'] },
  linear_svm: { classification: ['linear_svc'], regression: [] },
  knn: { classification: ['kneighbors', 'kneighbors_same_k'], regression: ['kneighbors', 'kneighbors_same_k'] },
  mlp: { classification: ['mlp'], regression: ['mlp'] },
  // a network without hidden layers: what stands for a linear model until `linear` is there
  logistic: { classification: ['logistic_regression'], regression: ['ridge'] },
};

/**
 * auto as a dataset without `algorithm` trains it, and auto over every family this build holds (the mlp
 * at any size, mloop's logistic network as a linear stand-in) to see it choose among several.
 */
const AUTO_RUNS: Record<string, Record<string, unknown>> = {
  auto: {},
  // the single choice auto made before it blended, for the blend's gain on the same split
  'auto(single)': { blend: false },
  'auto(all)': { candidates: ['gbdt', 'linear', 'random_forest', 'extra_trees', 'linear_svm', 'knn', 'mlp', 'logistic'], mlp_min_rows: 0 },
};

interface DatasetEntry {
  name: string;
  target: string;
  task: Task;
  positive_class?: string;
  file: string;
  rows: number;
}

type Scores = Record<string, number>;

/**
 * What a `_same` reference is handed: the parameters of mloop's trained model in scikit-learn's
 * spelling. The linear family minimises mean loss + alpha · penalty on standardised features, which is
 * Ridge(alpha = n · alpha), ElasticNet(alpha, l1_ratio) and LogisticRegression(C = 1 / (n · alpha)).
 */
function sameParameters(reference: string, model: TrainedModel, trainRows: number): Record<string, unknown> | null {
  const p = model.params;
  if (reference === 'kneighbors_same_k') return { n_neighbors: p.k, weights: p.weights, metric: p.distance };
  if (reference === 'linear_same' || reference === 'logistic_regression_same') {
    return { penalty: p.penalty, alpha: p.alpha, l1_ratio: p.l1_ratio, n: trainRows, max_iter: p.max_iter, tol: p.tol };
  }
  return null;
}

/** Mean and standard error of the mean. */
function meanSe(xs: number[]): { mean: number; se: number | null } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, se: null };
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, se: Math.sqrt(variance / xs.length) };
}

/** Per (dataset, family, reference): each seed's difference, to summarise after the seeds. */
type Tally = Map<string, { about: Record<string, unknown>; diffs: number[]; second: number[]; mloop: number[]; reference: number[] }>;

function tally(t: Tally, key: Record<string, unknown>, diff: number, second: number, mloop: number, reference: number): void {
  const id = JSON.stringify(key);
  const entry = t.get(id) ?? { about: key, diffs: [], second: [], mloop: [], reference: [] };
  entry.diffs.push(diff);
  entry.second.push(second);
  entry.mloop.push(mloop);
  entry.reference.push(reference);
  t.set(id, entry);
}

function printSummaries(t: Tally): void {
  for (const { about, diffs, second, mloop, reference } of t.values()) {
    const d = meanSe(diffs);
    const s = meanSe(second);
    console.log(
      JSON.stringify({
        summary: true,
        ...about,
        seeds: diffs.length,
        mean_mloop: round(meanSe(mloop).mean),
        mean_other: round(meanSe(reference).mean),
        mean_diff: round(d.mean),
        se: d.se === null ? null : round(d.se),
        mean_diff_second: round(s.mean),
        se_second: s.se === null ? null : round(s.se),
      }),
    );
  }
}

const round = (x: number, digits = 5) => +x.toFixed(digits);
const python = () => path.join(VENV, 'bin', 'python');

function ensureVenv(): void {
  const works = () => existsSync(python()) && spawnSync(python(), ['-c', 'import rdata, pandas, lightgbm, sklearn']).status === 0;
  if (works()) return;
  const wheels = existsSync(WHEELS) ? readdirSync(WHEELS).filter((f) => /^(rdata|lightgbm)-.*\.whl$/.test(f)) : [];
  if (wheels.length < 2) throw new Error(`no rdata and lightgbm wheels in ${WHEELS} (set MLOOP_BENCH_WHEELS to a folder with them)`);
  for (const [command, ...args] of [
    ['python3', '-m', 'venv', VENV],
    [path.join(VENV, 'bin', 'pip'), 'install', '--quiet', '--no-index', '--find-links', WHEELS, 'rdata', 'pandas', 'scikit-learn', 'lightgbm'],
  ]) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  }
  if (!works()) throw new Error(`${VENV} was built but cannot import rdata, pandas, lightgbm and scikit-learn`);
}

function py(args: string[]): unknown {
  // one thread: these datasets are small, and OpenMP threads that spin on a shared machine cost minutes
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const result = spawnSync(python(), [SCRIPT, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`real_data.py ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

/** The split as files: the encoded matrices of each part, and how many classes the predictions have. */
function writeSplit(dir: string, data: PreparedData): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, split] of [['train', data.train], ['validation', data.validation], ['test', data.test]] as const) {
    writeFileSync(path.join(dir, `${name}_X.f32`), split.X);
    writeFileSync(path.join(dir, `${name}_y.f32`), split.y);
  }
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ task: data.task, classes: data.classes?.length ?? 0, width: encodedWidth(data.specs), features: data.specs.map((s) => s.name) }));
}

/** The headline of a task, and whether higher is better. */
const HEADLINE: Record<Task, { name: string; higher: boolean; second: string }> = {
  binary: { name: 'auc', higher: true, second: 'pr_auc' },
  multiclass: { name: 'macro_auc', higher: true, second: 'accuracy' },
  regression: { name: 'rmse', higher: false, second: 'r2' },
};

async function benchDataset(entry: DatasetEntry, families: string[], seed: number, t: Tally, references: boolean): Promise<void> {
  const config = parseDatasetConfig({ target: entry.target, task: entry.task, positive_class: entry.positive_class, seed });
  const data = await prepareTrainingData(async () => createReadStream(entry.file), config, { seed });
  const dir = path.join(DIR, `${entry.name}-${seed}`);
  writeSplit(dir, data);
  const width = encodedWidth(data.specs);
  const headline = HEADLINE[data.task];
  const about = { seed, dataset: entry.name, task: data.task, rows: data.report.rows, train_rows: data.train.n, test_rows: data.test.n, width };
  const kind = data.task === 'regression' ? 'regression' : 'classification';
  const single: Array<{ family: string; scores: Scores }> = [];

  for (const family of families) {
    const autoParams = AUTO_RUNS[family];
    if (autoParams === undefined && !FAMILY_NAMES.includes(family)) {
      console.log(JSON.stringify({ ...about, family, skipped: `no family "${family}" in this build's registry` }));
      continue;
    }
    if (autoParams === undefined && !familyOf(family).tasks.includes(data.task)) {
      console.log(JSON.stringify({ ...about, family, skipped: `${family} trains ${familyOf(family).tasks.join(', ')} targets` }));
      continue;
    }
    const started = performance.now();
    const trainer = autoParams ? 'auto' : family;
    const seeded = 'seed' in familyOf(trainer).defaults ? { seed } : {};
    const model = await trainTable(trainer, data, { ...seeded, ...(autoParams ?? {}) });
    const seconds = round((performance.now() - started) / 1000, 2);
    const file = path.join(dir, `mloop_${family.replace(/\W/g, '_')}.f32`);
    writeFileSync(file, model.predict(data.test.X, data.test.n));
    const scores = py(['score', dir, data.task, String(width), file]) as Scores;
    const mloop = { ...Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, round(v)])), seconds, best_iteration: model.bestIteration };
    if (autoParams) {
      const { selection } = model.chosen!;
      const best = single.reduce<(typeof single)[number] | null>((a, b) => (!a || (headline.higher ? b.scores[headline.name] > a.scores[headline.name] : b.scores[headline.name] < a.scores[headline.name]) ? b : a), null);
      console.log(
        JSON.stringify({
          ...about,
          family,
          metric: headline.name,
          chose: selection.winner,
          measured: selection.measured,
          candidates: selection.candidates.map((c) => ({
            family: c.family,
            status: c.status,
            value: c.value === null ? null : round(c.value),
            ...(c.folds ? { validation: c.validation == null ? null : round(c.validation), folds: c.folds.map((v) => (v === null ? null : round(v))) } : {}),
            ...(c.pooled != null ? { pooled: round(c.pooled) } : {}),
            seconds: c.seconds,
            ...(c.reason ? { reason: c.reason } : {}),
          })),
          ...(selection.blend ? { blend: { ...selection.blend, value: round(selection.blend.value), single: { ...selection.blend.single, value: round(selection.blend.single.value) } } } : {}),
          mloop,
          best_single: best ? { family: best.family, [headline.name]: round(best.scores[headline.name]) } : null,
          // positive: auto is worse than the best single family on test (by the headline, in its direction)
          shortfall: best ? round(headline.higher ? best.scores[headline.name] - scores[headline.name] : scores[headline.name] - best.scores[headline.name]) : null,
        }),
      );
      if (best) {
        const shortfall = headline.higher ? best.scores[headline.name] - scores[headline.name] : scores[headline.name] - best.scores[headline.name];
        tally(t, { dataset: entry.name, family, against: 'best single family', metric: `${headline.name} shortfall` }, shortfall, 0, scores[headline.name], best.scores[headline.name]);
      }
      continue;
    }
    single.push({ family, scores });
    if (!references) console.log(JSON.stringify({ ...about, family, metric: headline.name, mloop }));
    for (const reference of references ? (ANCHORS[family] ?? { classification: [], regression: [] })[kind] : []) {
      const same = sameParameters(reference, model, data.train.n);
      const parameters = same ? 'same parameters' : 'library defaults';
      const anchor = py(['fit', dir, data.task, String(width), reference, String(seed), JSON.stringify(same ?? {})]) as Scores & { seconds: number };
      tally(t, { dataset: entry.name, family, reference, parameters, metric: headline.name, second: headline.second }, scores[headline.name] - anchor[headline.name], scores[headline.second] - anchor[headline.second], scores[headline.name], anchor[headline.name]);
      console.log(
        JSON.stringify({
          ...about,
          family,
          reference,
          parameters,
          ...(same ? { given: same } : {}),
          metric: headline.name,
          mloop,
          sklearn: Object.fromEntries(Object.entries(anchor).filter(([k]) => k !== 'reference').map(([k, v]) => [k, round(v as number)])),
          diff: round(scores[headline.name] - anchor[headline.name]),
          [`diff_${headline.second}`]: round(scores[headline.second] - anchor[headline.second]),
        }),
      );
    }
  }
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const value = args[at + 1];
    args.splice(at, 2);
    if (value === undefined) throw new Error(`${name} needs a comma-separated list`);
    return value.split(',');
  };
  const families = option('--families') ?? [...Object.keys(ANCHORS), ...Object.keys(AUTO_RUNS)];
  const seeds = (option('--seeds') ?? DEFAULT_SEEDS.map(String)).map(Number);
  // mloop's families alone: what auto's shortfall needs, without an anchor's training per family
  const at = args.indexOf('--no-references');
  if (at >= 0) args.splice(at, 1);
  if (seeds.some((s) => !Number.isInteger(s))) throw new Error('--seeds takes integers, e.g. --seeds 42,1,2,3,4');
  const only = args.flatMap((a) => a.split(','));
  ensureVenv();
  py(['export', DIR]);
  const datasets = JSON.parse(readFileSync(path.join(DIR, 'datasets.json'), 'utf8')) as DatasetEntry[];
  for (const entry of datasets) {
    if (only.length > 0 && !only.includes(entry.name)) continue;
    const t: Tally = new Map();
    for (const seed of seeds) await benchDataset(entry, families, seed, t, at < 0);
    printSummaries(t);
  }
}

main().then(
  () => rmSync(DIR, { recursive: true, force: true }),
  (err) => {
    console.error(err);
    rmSync(DIR, { recursive: true, force: true });
    process.exit(1);
  },
);
