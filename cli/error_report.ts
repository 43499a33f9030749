import { MloopError } from '../shared/core/errors';

/**
 * What a failed command prints: one line that says what went wrong and, where mloop knows, what to do;
 * a JSON object instead under --json, for scripts; the stack trace only when asked for (debug logging),
 * since a person fixing a path has no use for it. Exit code 2 for bad input, 1 otherwise.
 */
export interface ErrorReport {
  text: string;
  exitCode: number;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder (does its folder exist?)',
  EACCES: 'permission denied; check its permissions',
  EPERM: 'operation not permitted; check its permissions',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
};

export function reportError(err: unknown, options: { json: boolean; debug: boolean }): ErrorReport {
  const { code, message } = describe(err);
  const exitCode = code === 'invalid_argument' ? 2 : 1;
  const trace = options.debug && err instanceof Error && err.stack ? err.stack : undefined;
  if (options.json) return { text: JSON.stringify({ error: { code, message, ...(trace ? { stack: trace } : {}) } }) + '\n', exitCode };
  return { text: `mloop: ${message}${code === 'error' ? '' : ` [${code}]`}\n${trace ? trace + '\n' : ''}`, exitCode };
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof MloopError) return { code: err.code, message: err.message };
  const system = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof system.code === 'string' && SYSTEM_ERRORS[system.code]) {
    return { code: system.code, message: system.path ? `${system.path}: ${SYSTEM_ERRORS[system.code]}` : `${system.message}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'error', message: `${message} (unexpected: MLOOP_LOG_LEVEL=debug prints where it came from)` };
}
