import { z } from 'zod';
import { RunTags } from '../../core/tags';
import { MloopError, invalid } from '../../core/errors';
import type { TrainingRequested } from '../../core/events';
import { runIdFor, sha256Hex, shortHash } from '../../core/ids';
import { family } from '../../ml/models/registry';
import type { Context } from '../context';
import { runView, type RunView } from '../read_models/listings';
import { storeOf } from '../store';
import { manualRequest, publishRequest } from './manual_retrain';

/** A tag's key: plain, so it is a field path in every document store (`tags.<key>`). */
export const TAG_KEY = /^[A-Za-z0-9_-]{1,63}$/;

export const StartRunBody = z
  .object({
    model: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a model name: lowercase letters, digits, - and _'),
    dataset_version: z.string().min(1).max(200).optional(),
    algorithm: z.string().min(1).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    search: z.unknown().optional(),
    sample: z.number().int().positive().optional(),
    reason: z.string().min(1).max(500),
    tags: RunTags.optional(),
    /** The client's own id for this request: the same as an Idempotency-Key header. */
    request_id: z.string().min(1).max(200).optional(),
  })
  .strict();
export type StartRunBody = z.infer<typeof StartRunBody>;

export interface StartedRun {
  run_id: string;
  request_id: string;
  model: string;
  dataset_version: string;
  /** True when this answers a request made before with the same key (and body). */
  replayed: boolean;
  /** The run as it is now; null while the training request is on its way to the launcher. */
  run: RunView | null;
}

/** A body as JSON says it: a 400 that names the first wrong field, never a 500. */
export function parseStartRunBody(body: unknown): StartRunBody {
  const parsed = StartRunBody.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'body');
  throw invalid(`${field}: ${issue.message}`, { field });
}

/**
 * POST /api/runs: a manual retraining with the body's overrides, through the same request as
 * `mloop retrain`. With an idempotency key (the Idempotency-Key header, or the body's request_id) a
 * retried request answers the run of the first one, and the key with another body is refused (409);
 * the run id derives from the key, so even a request whose first answer was lost makes one run.
 */
export async function startRun(ctx: Context, body: StartRunBody, by: string, idempotencyKey?: string): Promise<StartedRun> {
  const key = idempotencyKey ?? body.request_id;
  if (idempotencyKey !== undefined && body.request_id !== undefined && idempotencyKey !== body.request_id) {
    throw invalid('the Idempotency-Key header and request_id differ: send one of them, or the same value', { field: 'request_id' });
  }
  if (key !== undefined && !(key.length >= 1 && key.length <= 200)) throw invalid('an idempotency key is 1 to 200 characters', { field: 'request_id' });
  if (body.algorithm) {
    try {
      family(body.algorithm);
    } catch (err) {
      throw err instanceof MloopError ? new MloopError(err.code, `algorithm: ${err.message}`, { field: 'algorithm' }) : err;
    }
  }
  const store = storeOf(ctx);
  const { request_id: _ignored, ...rest } = body;
  const bodyHash = sha256Hex(canonicalJson(rest));
  if (key !== undefined) {
    const earlier = await store.runRequests.get(key);
    if (earlier) return replay(ctx, earlier.body_hash, bodyHash, earlier.request, earlier.run_id);
  }
  const request = await manualRequest(ctx, body.model, by, {
    reason: body.reason,
    dataset_version: body.dataset_version,
    training: { algorithm: body.algorithm, params: body.params, search: body.search, sample: body.sample },
    tags: body.tags,
    ...(key !== undefined && { request_id: `api:${shortHash(key, 32)}` }),
  });
  const runId = runIdFor(request.request_id);
  if (key !== undefined) {
    const created = await store.runRequests.create({ key, body_hash: bodyHash, run_id: runId, request, created_at: request.requested_at });
    // Two first requests raced: the one that lost answers as a replay of the other.
    if (!created) {
      const earlier = (await store.runRequests.get(key))!;
      return replay(ctx, earlier.body_hash, bodyHash, earlier.request, earlier.run_id);
    }
  }
  await publishRequest(ctx, request);
  return { run_id: runId, request_id: request.request_id, model: request.model, dataset_version: request.dataset_version, replayed: false, run: null };
}

async function replay(ctx: Context, storedHash: string, bodyHash: string, request: TrainingRequested, runId: string): Promise<StartedRun> {
  if (storedHash !== bodyHash) {
    throw new MloopError('already_exists', `this idempotency key was used for another request (run ${runId}): use a new key for a different run`, { run_id: runId });
  }
  const run = await storeOf(ctx).runs.get(runId);
  // The first answer may have come before the request was published (a crash in between): publish it again, harmlessly.
  if (!run) await publishRequest(ctx, request);
  return { run_id: runId, request_id: request.request_id, model: request.model, dataset_version: request.dataset_version, replayed: true, run: run ? runView(run) : null };
}

/** JSON with object keys sorted at every level: two bodies that mean the same hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
