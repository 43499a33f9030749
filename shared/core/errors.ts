/**
 * Errors a person can act on. Every error that crosses a boundary (HTTP, CLI, event handler) carries a
 * code; the code decides the HTTP status and whether an event is worth retrying.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unauthenticated'
  | 'permission_denied'
  | 'unavailable'
  | 'internal';

const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

export class MloopError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MloopError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  /** Retrying cannot help: bad input, missing things, broken preconditions. */
  get permanent(): boolean {
    return this.code !== 'unavailable' && this.code !== 'internal';
  }
}

/** The error a client of mloop's HTTP API should raise for a status it received. */
export function errorFromHttp(status: number, message: string): MloopError {
  const code = (Object.keys(HTTP_STATUS) as ErrorCode[]).find((c) => HTTP_STATUS[c] === status) ?? 'internal';
  return new MloopError(code, message);
}

export const invalid = (message: string, details?: Record<string, unknown>) =>
  new MloopError('invalid_argument', message, details);
export const notFound = (message: string, details?: Record<string, unknown>) =>
  new MloopError('not_found', message, details);
export const preconditionFailed = (message: string, details?: Record<string, unknown>) =>
  new MloopError('failed_precondition', message, details);
export const unavailable = (message: string, details?: Record<string, unknown>) =>
  new MloopError('unavailable', message, details);

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isPermanent(err: unknown): boolean {
  return err instanceof MloopError && err.permanent;
}
