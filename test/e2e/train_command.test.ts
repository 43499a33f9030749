import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, tempHome } from './helpers';

/** `mloop train` as a person runs it: the built CLI, no stack, artifacts in a folder. */
const dir = tempHome('mloop-train-cli-');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: path.join(dir, 'state'), MLOOP_TRAIN_EPOCHS: '8' };

function mloop(args: string[], extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`mloop ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result;
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

beforeAll(() => {
  mloop(['generate', 'fraud.csv', '--rows', '20000', '--seed', '4']);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mloop train', () => {
  it('trains a file in the foreground and prints the result as the last JSON line', () => {
    const { stdout, stderr } = mloop(['train', 'fraud.csv', '--target', 'isFraud', '--out', 'out/auto', '--json']);
    const result = lastJson(stdout);
    // auto, the default for a table: the family it chose, and every candidate
    expect(result).toMatchObject({ task: 'binary', rows: 20000, trials: 1, artifacts: path.join(dir, 'out', 'auto') });
    expect(result.selection).toMatchObject({ by: 'auto', metric: 'auc', winner: result.algorithm === 'auto' ? 'blend' : result.algorithm });
    expect(result.selection.candidates.map((c: { family: string; status: string }) => [c.family, c.status])).toEqual([
      ['gbdt', 'trained'],
      ['linear', expect.stringMatching(/^(trained|skipped)$/)],
      ['random_forest', expect.stringMatching(/^(trained|skipped)$/)],
      ['mlp', 'trained'],
    ]);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.metrics.auc).toBeGreaterThan(0.8);
    expect(Object.keys(result.metrics)).toEqual(expect.arrayContaining(['auc', 'pr_auc', 'logloss', 'precision', 'recall', 'f1', 'threshold']));
    expect(fs.readdirSync(result.artifacts).sort()).toEqual(['card.md', 'curves.json', 'explainer.json', 'holdout.ndjson', 'manifest.json', 'model.onnx', 'reference.json', 'report.html']);
    const manifest = JSON.parse(fs.readFileSync(path.join(result.artifacts, 'manifest.json'), 'utf8'));
    expect(manifest.metrics.auc).toBe(result.metrics.auc);
    expect(manifest).toMatchObject({ algorithm: result.algorithm, selection: result.selection });
    // not a terminal: progress comes as plain lines on stderr, never on stdout, candidate by candidate
    expect(stderr).toMatch(/^gbdt \(candidate 1\/4\) iteration 1\/\d+ loss [\d.]+ val_loss [\d.]+$/m);
    expect(stderr).toMatch(/^mlp \(candidate 4\/4\) epoch 1\/8 loss [\d.]+ val_loss [\d.]+$/m);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it('runs a sweep in parallel worker threads and keeps the best trial, beside an anomaly detector', () => {
    const search = JSON.stringify({ learning_rate: [0.000001, 0.01] });
    const { stdout } = mloop(['train', 'fraud.csv', '--algorithm', 'logistic', '--search', search, '--unsupervised', '--json'], { MLOOP_TRAIN_WORKERS: '2' });
    const result = lastJson(stdout);
    expect(result).toMatchObject({ algorithm: 'logistic', trials: 2 });
    expect(result.artifacts).toMatch(new RegExp(`^${dir}/artifacts/\\d{8}-\\d{6}$`));
    expect(result.metrics.anomaly_auc).toBeGreaterThan(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(result.artifacts, 'manifest.json'), 'utf8'));
    const trials = manifest.sweep.trials;
    expect(trials.map((t: { params: unknown }) => t.params)).toEqual([{ learning_rate: 0.000001 }, { learning_rate: 0.01 }]);
    // one trial per worker thread: they ran side by side
    expect(trials.map((t: { worker: number }) => t.worker).sort()).toEqual([1, 2]);
    expect(manifest.sweep.best_trial).toBe(1);
    expect(manifest.trainer.params.learning_rate).toBe(0.01);
    expect(manifest.unsupervised).toMatchObject({ file: 'anomaly.onnx', output: 'anomaly_score' });
    expect(fs.existsSync(path.join(result.artifacts, 'anomaly.onnx'))).toBe(true);
  });

  it('trains an archive of images with the CNN, as the job does, and prints its evaluation as JSON', () => {
    mloop(['generate-images', 'leaves.zip', '--classes', '3', '--per-class', '20', '--size', '24', '--seed', '3']);
    // a tiny CNN on the pure-JS backend: what every machine has, and quick at 12 pixels
    const params = JSON.stringify({ filters: [4, 8], batch_size: 8, augment: false, backend: 'cpu' });
    const { stdout, stderr } = mloop(['train', 'leaves.zip', '--image-size', '12', '--params', params, '--out', 'out/leaves', '--json'], { MLOOP_TRAIN_EPOCHS: '3' });
    const result = lastJson(stdout);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(result).toMatchObject({ algorithm: 'cnn', task: 'image_classification', rows: 60, classes: ['circle', 'square', 'triangle'], backend: 'cpu', trials: 1, artifacts: path.join(dir, 'out', 'leaves') });
    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(result.metrics.accuracy).toBeLessThanOrEqual(1);
    expect(result.metrics.macro_f1).toEqual(expect.any(Number));
    // a tenth of each class is the test split: the confusion matrix counts exactly those, by class
    const { classes, matrix } = result.confusion;
    expect(classes).toEqual(result.classes);
    expect(matrix.map((row: number[]) => row.reduce((a, b) => a + b, 0))).toEqual([2, 2, 2]);
    expect(result.per_class.map((c: { class: string; support: number }) => [c.class, c.support])).toEqual(classes.map((c: string) => [c, 2]));
    for (const [k, c] of result.per_class.entries()) expect(c.recall).toBeCloseTo(matrix[k][k] / 2, 10);
    const right = classes.reduce((sum: number, _: string, k: number) => sum + matrix[k][k], 0);
    expect(result.metrics.accuracy).toBeCloseTo(right / 6, 10);
    expect(result.dataset).toMatchObject({ version: expect.stringMatching(/^[0-9a-f]+$/), images_read: 60, rejected: 0 });
    // the job's version folder: its files, and a thumbnail of each test image the model got wrong (6 at most)
    const named = result.files.map((f: string) => path.relative(result.artifacts, f));
    expect(named.filter((f: string) => !f.startsWith('misclassified/')).sort()).toEqual(['curves.json', 'holdout.ndjson', 'manifest.json', 'model.onnx', 'reference.json']);
    expect(named.filter((f: string) => f.startsWith('misclassified/'))).toHaveLength(6 - right);
    for (const f of result.files) expect(fs.statSync(f).size).toBeGreaterThan(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(result.artifacts, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ model: 'leaves', algorithm: 'cnn', classes, image: { size: 12, channels: 3 }, dataset: { version: result.dataset.version } });
    expect(manifest.metrics.accuracy).toBe(result.metrics.accuracy);
    expect(manifest.trainer.backend).toBe('cpu');
    // progress per epoch on stderr, as for a CSV
    expect(stderr).toMatch(/^60 images in 3 classes/m);
    expect(stderr).toMatch(/^epoch 1\/3 loss [\d.]+ val_loss [\d.]+$/m);
    expect(stderr).toMatch(/^epoch 3\/3 /m);
  });

  it('prints an image model\'s evaluation for a person: metrics, each class, the confusion matrix', () => {
    const params = JSON.stringify({ filters: [4], batch_size: 16, augment: false, backend: 'cpu' });
    const { stdout } = mloop(['train', 'leaves.zip', '--image-size', '8', '--channels', '1', '--params', params, '--out', 'out/plain-leaves'], { MLOOP_TRAIN_EPOCHS: '1' });
    expect(stdout).toMatch(/^cnn on 60 images, 3 classes, in [\d.]+ s \(backend cpu\)$/m);
    expect(stdout).toMatch(/^accuracy\s+\d\.\d{4}$/m);
    expect(stdout).toMatch(/^class\s+precision\s+recall\s+f1\s+support$/m);
    expect(stdout).toMatch(/^circle\s+(-|\d\.\d{4})\s+\d\.\d{4}\s+\d\.\d{4}\s+2$/m);
    expect(stdout).toMatch(/^actual \\ predicted\s+circle\s+square\s+triangle$/m);
    expect(stdout).toMatch(new RegExp(`^artifacts: ${path.join(dir, 'out', 'plain-leaves')}$`, 'm'));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'plain-leaves', 'manifest.json'), 'utf8'));
    expect(manifest.image).toMatchObject({ size: 8, channels: 1 });
  });

  it("refuses a table's flags and an archive no model can be trained on, with the reason", () => {
    const stray = spawnSync(process.execPath, [CLI, 'train', 'leaves.zip', '--target', 'label'], { cwd: dir, env, encoding: 'utf8' });
    expect(stray.status).toBe(2);
    expect(stray.stderr).toMatch(/--target applies to a CSV, not to an archive of images/);
    // a tar.gz of the folder, as a person makes one
    mloop(['generate-images', 'tiny', '--classes', '2', '--per-class', '2', '--size', '16']);
    expect(spawnSync('tar', ['-czf', 'tiny.tar.gz', 'tiny'], { cwd: dir }).status).toBe(0);
    const tiny = spawnSync(process.execPath, [CLI, 'train', 'tiny.tar.gz'], { cwd: dir, env, encoding: 'utf8' });
    expect(tiny.status).toBe(2);
    expect(tiny.stderr).toMatch(/no model can be trained on tiny\.tar\.gz: a classifier needs at least 2 classes/);
  });

  it('prints the metrics for a person, and refuses a bad request with the reason', () => {
    const { stdout } = mloop(['train', 'fraud.csv', '--algorithm', 'logistic', '--out', 'out/plain']);
    expect(stdout).toMatch(/^logistic on 20000 rows \(binary\) in [\d.]+ s$/m);
    expect(stdout).toMatch(/^auc\s+0\.\d{4}$/m);
    const bad = spawnSync(process.execPath, [CLI, 'train', 'fraud.csv', '--params', '{"learning_rat":1}'], { cwd: dir, env, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown auto parameter "learning_rat"/);
  });
});
