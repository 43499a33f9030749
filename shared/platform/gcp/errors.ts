import { MloopError, errorMessage, type ErrorCode } from '../../core/errors';

/**
 * Google's errors as mloop's codes, so callers decide about retries the same way on every platform.
 * gRPC clients (Pub/Sub, Firestore, Cloud Run) report a numeric `code`; Cloud Storage's JSON API an
 * HTTP status.
 */
export const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const FROM_GRPC: Record<number, ErrorCode> = {
  [GRPC.INVALID_ARGUMENT]: 'invalid_argument',
  [GRPC.OUT_OF_RANGE]: 'invalid_argument',
  [GRPC.NOT_FOUND]: 'not_found',
  [GRPC.ALREADY_EXISTS]: 'already_exists',
  [GRPC.PERMISSION_DENIED]: 'permission_denied',
  [GRPC.UNAUTHENTICATED]: 'unauthenticated',
  [GRPC.FAILED_PRECONDITION]: 'failed_precondition',
  // The server cannot do this at all: retrying will not change that.
  [GRPC.UNIMPLEMENTED]: 'failed_precondition',
  // Contention, overload, deadlines, Google's own INTERNAL: all worth retrying, as Google advises.
  [GRPC.CANCELLED]: 'unavailable',
  [GRPC.UNKNOWN]: 'unavailable',
  [GRPC.DEADLINE_EXCEEDED]: 'unavailable',
  [GRPC.RESOURCE_EXHAUSTED]: 'unavailable',
  [GRPC.ABORTED]: 'unavailable',
  [GRPC.INTERNAL]: 'unavailable',
  [GRPC.UNAVAILABLE]: 'unavailable',
  [GRPC.DATA_LOSS]: 'internal',
};

const FROM_HTTP: Record<number, ErrorCode> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  412: 'failed_precondition',
  413: 'payload_too_large',
};

/** The numeric gRPC status of a Google client error, if it is one. */
export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A gRPC client error as an MloopError saying what was being done; anything else unchanged. */
export function fromGrpc(err: unknown, doing: string): unknown {
  const code = grpcCode(err);
  if (code === undefined || err instanceof MloopError) return err;
  return new MloopError(FROM_GRPC[code] ?? 'internal', `${doing}: ${errorMessage(err)}`, { grpc_code: code });
}

/** An HTTP error of a JSON API (Cloud Storage) as an MloopError; anything else unchanged. */
export function fromHttp(err: unknown, doing: string): unknown {
  // Most client calls report the status as `code`; a resumable upload's stream as `status`.
  const failed = err as { code?: unknown; status?: unknown } | null;
  const status = typeof failed?.code === 'number' ? failed.code : failed?.status;
  if (typeof status !== 'number' || status < 400 || err instanceof MloopError) return err;
  const code = FROM_HTTP[status] ?? (status === 429 || status >= 500 ? 'unavailable' : 'internal');
  return new MloopError(code, `${doing}: ${errorMessage(err)}`, { http_status: status });
}
