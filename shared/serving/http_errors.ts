import type { Response } from 'express';
import { errorMessage, MloopError } from '../core/errors';
import type { Logger } from '../core/log';

/** Maps an error to its HTTP status and a JSON body; only a genuine bug is a 500. */
export function sendError(res: Response, err: unknown, log: Logger): void {
  if (err instanceof MloopError) {
    res.status(err.httpStatus).json({ error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
    return;
  }
  log.error({ err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, 'unhandled error');
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
}
