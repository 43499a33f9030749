import type express from 'express';
import type { Request, Response } from 'express';
import { invalid } from '../core/errors';
import type { Context } from '../pipeline/context';
import { pageRuns, type RunPageRequest } from '../pipeline/read_models/run_page';
import { runLogs } from '../pipeline/read_models/run_logs';
import type { RunStatus } from '../pipeline/store/documents';
import { cancelRun } from '../pipeline/usecases/cancel_run';
import { parseStartRunBody, startRun, TAG_KEY } from '../pipeline/usecases/start_run';
import { sendError } from './http_errors';

/** Who the admin API's actions are recorded as, as the registry's trail records them. */
const BY = 'admin-api';
const STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export interface RunRoutesOptions {
  /**
   * Whether this process stops a cancelled run's job itself (`mloop up`, whose launcher runs the
   * jobs) or leaves it to the launcher function, told through run-slot-freed (the dashboard function,
   * whose identity may not touch the job).
   */
  stopsExecutions: boolean;
}

/**
 * The jobs API: start a run (idempotent), list runs with filters and a cursor, cancel one, read its
 * log. Registered before `/runs/:id`, on the admin router and so behind its credentials check.
 */
export function registerRunRoutes(router: express.Router, ctx: Context, options: RunRoutesOptions): void {
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await fn(req, res);
    } catch (err) {
      sendError(res, err, ctx.log);
    }
  };

  router.post('/runs', handle(async (req, res) => {
    const body = parseStartRunBody(req.body);
    const key = req.get('idempotency-key');
    const started = await startRun(ctx, body, BY, key === undefined ? undefined : key);
    res.status(started.replayed ? 200 : 201).location(`${req.baseUrl}/runs/${started.run_id}`).json(started);
  }));

  router.get('/runs', handle(async (req, res) => {
    res.json(await pageRuns(ctx, runPageRequest(req.query)));
  }));

  router.post('/runs/:id/cancel', handle(async (req, res) => {
    const reason = req.body?.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) throw invalid('reason: a text of at most 500 characters', { field: 'reason' });
    const actor = { by: BY, reason: reason || 'cancel from the admin API' };
    res.json(await cancelRun(ctx, String(req.params.id), actor, { stopExecution: options.stopsExecutions }));
  }));

  router.get('/runs/:id/logs', handle(async (req, res) => {
    const offset = optionalInt(req.query.offset, 'offset');
    const maxBytes = optionalInt(req.query.max_bytes, 'max_bytes');
    res.json(await runLogs(ctx, String(req.params.id), { offset, maxBytes }));
  }));
}

/** The query string of GET /runs, checked: a wrong value is a 400 that names its parameter. */
export function runPageRequest(query: Request['query']): RunPageRequest {
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalid(`${name}: give it once`, { field: name });
    return value;
  };
  const status = one('status');
  if (status !== undefined && !STATUSES.includes(status as RunStatus)) throw invalid(`status: one of ${STATUSES.join(', ')}`, { field: 'status' });
  const since = one('since');
  if (since !== undefined && Number.isNaN(Date.parse(since))) throw invalid('since: an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z', { field: 'since' });
  const tagValues = query.tag === undefined ? [] : Array.isArray(query.tag) ? query.tag : [query.tag];
  const tags: Record<string, string> = {};
  for (const tag of tagValues) {
    const at = typeof tag === 'string' ? tag.indexOf(':') : -1;
    if (typeof tag !== 'string' || at < 1 || !TAG_KEY.test(tag.slice(0, at))) throw invalid('tag: key:value, the key of letters, digits, - or _', { field: 'tag' });
    tags[tag.slice(0, at)] = tag.slice(at + 1);
  }
  return {
    model: one('model'),
    status: status as RunStatus | undefined,
    algorithm: one('algorithm'),
    since: since === undefined ? undefined : new Date(since).toISOString(),
    tags: Object.keys(tags).length ? tags : undefined,
    limit: optionalInt(query.limit, 'limit'),
    page_token: one('page_token'),
  };
}

function optionalInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(`${name}: a whole number`, { field: name });
  return n;
}
