import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A Python venv with shap (the independent TreeSHAP the explanations are checked against) and rdata (to
 * read R's modeldata datasets, as bench/real_data.py does): built from local wheels when absent.
 * MLOOP_SHAP_VENV (default <tmp>/mloop-shap-venv), MLOOP_WHEELS (default /opt/pypi/files).
 */
const VENV = process.env.MLOOP_SHAP_VENV ?? path.join(os.tmpdir(), 'mloop-shap-venv');
const WHEELS = process.env.MLOOP_WHEELS ?? '/opt/pypi/files';
export const shapPython = path.join(VENV, 'bin', 'python');
const PACKAGES = ['shap', 'numpy', 'pandas', 'rdata'];

/** null when the venv can import shap, pandas and rdata; otherwise why it cannot be had here (the caller skips, saying so). */
export function ensureShapVenv(): string | null {
  const works = () => existsSync(shapPython) && spawnSync(shapPython, ['-c', 'import shap, pandas, rdata']).status === 0;
  if (works()) return null;
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is not installed';
  if (!existsSync(WHEELS) || !readdirSync(WHEELS).some((f) => /^shap-.*\.whl$/.test(f))) return `no shap wheel in ${WHEELS} (set MLOOP_WHEELS)`;
  for (const [command, ...args] of [
    ['python3', '-m', 'venv', VENV],
    [path.join(VENV, 'bin', 'pip'), 'install', '--quiet', '--no-index', '--find-links', WHEELS, ...PACKAGES],
  ]) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) return `${command} ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop()}`;
  }
  return works() ? null : `${VENV} was built but cannot import shap, pandas and rdata`;
}
