import fs from 'node:fs';
import path from 'node:path';
import { MloopError } from '../shared/core/errors';

/**
 * A file named on the command line, checked before anything reads it, so that the error says what is
 * wrong with it (absent, a folder, unreadable) instead of a system call's code.
 */
export function checkInputFile(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) {
    const where = path.isAbsolute(file) ? '' : ` in ${process.cwd()}`;
    throw new MloopError('not_found', `${file}: no such file${where}; check the path`);
  }
  if (stat.isDirectory()) throw new MloopError('invalid_argument', `${file} is a folder: name a file in it`);
  if (!stat.isFile()) throw new MloopError('invalid_argument', `${file} is not a regular file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new MloopError('permission_denied', `${file}: permission denied; make it readable (chmod u+r ${file}) or run as its owner`);
  }
}
