import { MloopError } from '../core/errors';

/**
 * A CSV error knows its line (details.line) but not its file, which the reader only saw as a stream:
 * whoever opened the file puts its name in front, as `file:line:` (or `file:` when no line applies),
 * so that a person comparing or training two files knows which one to open, and an editor can jump there.
 */
const SYNTAX_FIX = 'a field holding a comma, quote or line break must be in double quotes, with its own quotes doubled';

export function inFile(file: string, err: unknown): unknown {
  if (!(err instanceof MloopError) || err.message.startsWith(`${file}:`)) return err;
  const line = typeof err.details?.line === 'number' ? `${err.details.line}:` : '';
  const hint = typeof err.details?.csvCode === 'string' ? ` (${SYNTAX_FIX})` : '';
  return new MloopError(err.code, `${file}:${line} ${err.message}${hint}`, { ...err.details, file });
}

export async function aboutFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw inFile(file, err);
  }
}
