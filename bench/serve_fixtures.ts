import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What bench:serve and bench:cold share: the demo gbdt model (trained once, kept in the bench folder),
 * rows of its holdout as a client sends them, and the FastAPI + uvicorn + onnxruntime reference's venv,
 * built offline from MLOOP_BENCH_WHEELS (default /opt/pypi/files).
 */
export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'mloop.js');
/** What a user runs: bin/mloop.js, which starts `serve` from its own bundle (dist/cli/serve.js). */
export const BIN = path.join(ROOT, 'bin', 'mloop.js');
export const WORK = path.join(os.tmpdir(), 'mloop-bench', 'serve');
export const VENV = process.env.MLOOP_BENCH_SERVE_VENV ?? path.join(os.tmpdir(), 'mloop-bench', 'serve-venv');
export const WHEELS = process.env.MLOOP_BENCH_WHEELS ?? '/opt/pypi/files';

export type Row = Record<string, unknown>;

/** The demo model, trained once and kept in the bench folder. */
export function demoModel(): string {
  const csv = path.join(WORK, 'fraud.csv');
  const model = path.join(WORK, 'gbdt');
  if (!existsSync(csv)) run(process.execPath, [CLI, 'generate', csv, '--rows', '100000', '--seed', '1']);
  if (!existsSync(path.join(model, 'model.onnx'))) {
    run(process.execPath, [CLI, 'train', csv, '--algorithm', 'gbdt', '--params', '{"early_stopping_rounds":0}', '--out', model, '--json']);
  }
  return model;
}

export function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
}

/** Holdout rows as a client sends them: numbers as numbers. */
export function instances(model: string, count: number): Row[] {
  const manifest = JSON.parse(readFileSync(path.join(model, 'manifest.json'), 'utf8')) as { features: Array<{ name: string; kind: string }> };
  const lines = readFileSync(path.join(model, 'holdout.ndjson'), 'utf8').trim().split('\n').slice(0, count);
  return lines.map((line) => {
    const { record } = JSON.parse(line) as { record: Record<string, string> };
    return Object.fromEntries(manifest.features.map((f) => [f.name, f.kind === 'numeric' ? Number(record[f.name]) : record[f.name]]));
  });
}

/** The reference's interpreter, its venv made on first use; null when the wheels are not there. */
export function referenceVenv(): string | null {
  const python = path.join(VENV, 'bin', 'python');
  if (existsSync(python)) return python;
  if (!existsSync(WHEELS)) return null;
  const made = spawnSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  const pip = made.status === 0 && spawnSync(path.join(VENV, 'bin', 'pip'), ['install', '-q', '--no-index', '--find-links', WHEELS, 'fastapi', 'uvicorn', 'uvloop', 'httptools', 'onnxruntime', 'numpy<2.3'], { stdio: 'inherit' });
  if (!pip || pip.status !== 0) {
    rmSync(VENV, { recursive: true, force: true });
    return null;
  }
  return python;
}

