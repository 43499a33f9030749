import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FeatureSpec } from '../shared/data/encoding';
import type { Task } from '../shared/data/prepare';
import { seededRandom } from '../shared/data/random';
import { trainTable } from '../shared/ml/models/trainers';

/**
 * mloop's `linear` coefficients beside scikit-learn's on the same rows: Ridge, Lasso, ElasticNet and
 * LinearRegression for a value, LogisticRegression (L2 by lbfgs, L1 and elastic net by saga) for a binary
 * target, both solved to a tight tolerance, on columns of very different scales (so that the folding of
 * the standardisation into the raw-scale coefficients is exercised). `npm run bench:linear`; one JSON
 * line per fit with the largest coefficient difference, absolute and relative to the largest coefficient.
 * Environment: MLOOP_BENCH_VENV (default <tmp>/lgbm-venv), a venv with scikit-learn.
 */
const VENV = process.env.MLOOP_BENCH_VENV ?? path.join(os.tmpdir(), 'lgbm-venv');
const WIDTH = 8;
const ROWS = 20_000;
const SCALES = [1, 10, 0.01, 1000, 3, 0.5, 100, 1];
const BETA = [1.5, -0.2, 40, 0.002, 0, 0.8, -0.01, 0.3];

function rows(task: Task, n: number, seed: number) {
  const random = seededRandom(seed);
  const X = new Float32Array(n * WIDTH);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const shared = random.normal();
    let signal = 0;
    for (let j = 0; j < WIDTH; j++) {
      const x = Math.fround(SCALES[j] * (random.normal() + 0.6 * shared) + 5 * SCALES[j]);
      X[i * WIDTH + j] = x;
      signal += BETA[j] * (x - 5 * SCALES[j]);
    }
    y[i] = task === 'regression' ? 10 + signal + random.normal() : signal + 1.5 * random.normal() > 1 ? 1 : 0;
  }
  return { X, y, n };
}

const SPECS: FeatureSpec[] = Array.from({ length: WIDTH }, (_, j) => ({ name: `x${j}`, kind: 'numeric', mean: 0, std: 1, min: 0, max: 1, fill: 0 }));

const FITS = [
  { task: 'regression', penalty: 'none', alpha: 0, l1_ratio: 0.5 },
  { task: 'regression', penalty: 'l2', alpha: 0.1, l1_ratio: 0.5 },
  { task: 'regression', penalty: 'l1', alpha: 0.05, l1_ratio: 0.5 },
  { task: 'regression', penalty: 'elasticnet', alpha: 0.05, l1_ratio: 0.3 },
  { task: 'binary', penalty: 'l2', alpha: 0.001, l1_ratio: 0.5 },
  { task: 'binary', penalty: 'l1', alpha: 0.002, l1_ratio: 0.5 },
  { task: 'binary', penalty: 'elasticnet', alpha: 0.002, l1_ratio: 0.5 },
] as const;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-linear-'));
  try {
    const data = Object.fromEntries((['regression', 'binary'] as const).map((task, k) => [task, { train: rows(task, ROWS, 1 + k), validation: rows(task, 2000, 11 + k) }]));
    for (const [task, split] of Object.entries(data)) {
      writeFileSync(path.join(dir, `${task}_X.f32`), split.train.X);
      writeFileSync(path.join(dir, `${task}_y.f32`), split.train.y);
    }
    const script = path.join(__dirname, '..', '..', 'bench', 'reference.py');
    const result = spawnSync(path.join(VENV, 'bin', 'python'), [script, 'linear_coefficients', dir, String(WIDTH), JSON.stringify(FITS)], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`scikit-learn failed: ${result.stderr}`);
    const theirs = JSON.parse(result.stdout.trim().split('\n').pop()!) as Array<(typeof FITS)[number] & { coefficients: number[]; intercept: number }>;
    for (const [k, fit] of FITS.entries()) {
      const started = performance.now();
      const model = await trainTable('linear', { task: fit.task, classes: fit.task === 'binary' ? ['0', '1'] : null, specs: SPECS, ...data[fit.task] }, { penalty: fit.penalty, alpha: fit.alpha, l1_ratio: fit.l1_ratio, tol: 1e-10, max_iter: 100_000 });
      const seconds = (performance.now() - started) / 1000;
      const ours = model.coefficients!.columns.map((c) => c.weights[0]);
      const reference = theirs[k].coefficients;
      const difference = Math.max(...ours.map((w, j) => Math.abs(w - reference[j])));
      const largest = Math.max(...reference.map(Math.abs));
      console.log(
        JSON.stringify({
          ...fit,
          max_coefficient_difference: +difference.toExponential(3),
          relative_to_largest: +(difference / largest).toExponential(3),
          intercept_difference: +Math.abs(model.coefficients!.intercept[0] - theirs[k].intercept).toExponential(3),
          zeros: { mloop: ours.filter((w) => w === 0).length, sklearn: reference.filter((w) => w === 0).length },
          seconds: +seconds.toFixed(2),
          backend: model.backend,
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
