import type { IncomingHttpHeaders } from 'node:http';

/**
 * A request and its reply as the scoring router sees them, whatever server carries them (node:http in
 * `mloop up` and `mloop serve`, express in the Cloud Function), so both run one routing and
 * validation path.
 */
export interface HttpRequest {
  method: string;
  /** Without the query string, still percent-encoded. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body; empty for a GET. */
  body: Buffer;
  /** The body outgrew the limit and was not read: the reply is a 413 once the route and caller are known. */
  oversized?: boolean;
}

export interface HttpReply {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  /** Work that must not delay the reply (shadow scoring): run once it is sent. */
  after?: () => void;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, value: unknown, headers?: Record<string, string>): HttpReply {
  return { status, body: JSON.stringify(value), contentType: JSON_TYPE, headers };
}
