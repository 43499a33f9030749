import { MloopError } from '../core/errors';

/** Instances one request may carry: larger batches are split by the client, not queued here. */
export const MAX_INSTANCES = 10_000;

/** Images one request may carry: each is decoded in full, so a batch is far smaller than a table's. */
export const MAX_IMAGES = 64;

export function checkInstanceCount(count: number): void {
  if (count > MAX_INSTANCES) {
    const message = `too many instances: ${count}, at most ${MAX_INSTANCES} per request (split the batch)`;
    throw new MloopError('invalid_argument', message, { errors: [{ index: null, field: null, message }] });
  }
}

/** The body as JSON; anything unparsable is the client's mistake, never a 500. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new MloopError('invalid_argument', 'the request has no body: send a JSON object as application/json');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new MloopError('invalid_argument', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

export function tooLarge(limit: number): MloopError {
  return new MloopError('payload_too_large', `the body is larger than ${limit} bytes: send at most ${MAX_INSTANCES} instances per request`);
}
