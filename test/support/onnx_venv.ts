import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A Python venv that can import the ONNX project's own package, for tests that run its checker on what
 * mloop exports: built from local wheels when absent. MLOOP_ONNX_VENV (default <tmp>/mloop-onnx-venv),
 * MLOOP_WHEELS (default /opt/pypi/files, a folder with onnx and its dependencies' wheels).
 */
const VENV = process.env.MLOOP_ONNX_VENV ?? path.join(os.tmpdir(), 'mloop-onnx-venv');
const WHEELS = process.env.MLOOP_WHEELS ?? '/opt/pypi/files';
export const onnxPython = path.join(VENV, 'bin', 'python');

/** null when the venv can import onnx; otherwise why it cannot be had here (the caller skips, saying so). */
export function ensureOnnxVenv(): string | null {
  const works = () => existsSync(onnxPython) && spawnSync(onnxPython, ['-c', 'import onnx']).status === 0;
  if (works()) return null;
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is not installed';
  if (!existsSync(WHEELS) || !readdirSync(WHEELS).some((f) => /^onnx-.*\.whl$/.test(f))) return `no onnx wheel in ${WHEELS} (set MLOOP_WHEELS)`;
  for (const [command, ...args] of [
    ['python3', '-m', 'venv', VENV],
    [path.join(VENV, 'bin', 'pip'), 'install', '--quiet', '--no-index', '--find-links', WHEELS, 'onnx'],
  ]) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) return `${command} ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop()}`;
  }
  return works() ? null : `${VENV} was built but cannot import onnx`;
}
