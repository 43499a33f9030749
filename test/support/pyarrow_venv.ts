import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A Python venv with pyarrow, the reference Parquet writer, for tests that read what it writes: built
 * from local wheels when absent. MLOOP_PYARROW_VENV (default <tmp>/mloop-pyarrow-venv), MLOOP_WHEELS
 * (default /opt/pypi/files).
 */
const VENV = process.env.MLOOP_PYARROW_VENV ?? path.join(os.tmpdir(), 'mloop-pyarrow-venv');
const WHEELS = process.env.MLOOP_WHEELS ?? '/opt/pypi/files';
export const pyarrowPython = path.join(VENV, 'bin', 'python');

/** null when the venv can import pyarrow; otherwise why it cannot be had here (the caller skips, saying so). */
export function ensurePyarrowVenv(): string | null {
  const works = () => existsSync(pyarrowPython) && spawnSync(pyarrowPython, ['-c', 'import pyarrow.parquet']).status === 0;
  if (works()) return null;
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is not installed';
  if (!existsSync(WHEELS) || !readdirSync(WHEELS).some((f) => /^pyarrow-.*\.whl$/.test(f))) return `no pyarrow wheel in ${WHEELS} (set MLOOP_WHEELS)`;
  for (const [command, ...args] of [
    ['python3', '-m', 'venv', VENV],
    [path.join(VENV, 'bin', 'pip'), 'install', '--quiet', '--no-index', '--find-links', WHEELS, 'pyarrow'],
  ]) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) return `${command} ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop()}`;
  }
  return works() ? null : `${VENV} was built but cannot import pyarrow`;
}
