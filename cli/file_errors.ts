import { MloopError } from '../shared/core/errors';

/**
 * A CSV error names its line but not its file, which the reader never knew: the command that opened
 * the file puts its name in front, as `file:line`, and says what usually fixes it.
 */
const FIX = 'a field holding a comma, quote or line break must be in double quotes, with its own quotes doubled';

export async function aboutFile<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof MloopError) || typeof err.details?.line !== 'number') throw err;
    const hint = typeof err.details.csvCode === 'string' ? ` (${FIX})` : '';
    throw new MloopError(err.code, `${file}:${err.details.line}: ${err.message}${hint}`, err.details);
  }
}
