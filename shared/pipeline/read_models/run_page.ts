import { z } from 'zod';
import { invalid } from '../../core/errors';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { RunDoc, RunStatus } from '../store/documents';
import { runView, type RunView } from './listings';

/** What `GET /api/runs` and `mloop runs` filter on; every field optional. */
export interface RunFilter {
  model?: string;
  status?: RunStatus;
  algorithm?: string;
  /** ISO 8601: runs created at or after it. */
  since?: string;
  /** Every tag given must be on the run with that value. */
  tags?: Record<string, string>;
}

export interface RunPageRequest extends RunFilter {
  limit?: number;
  page_token?: string;
}

export interface RunPage {
  /** Newest first. */
  runs: RunView[];
  /** Pass as page_token for the next page; null on the last one. */
  next_page_token: string | null;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const SCAN_BATCH = 200;

const Cursor = z.tuple([z.string().min(1), z.string().min(1)]);

/**
 * One page of runs, newest first. The token is opaque to clients: the (created_at, id) of the last run
 * returned, so runs created while someone pages never shift or repeat what they see. The model is a
 * query; status, algorithm and tags are checked on the runs as they are read (a run's algorithm lives
 * in its plan), and `since` ends the scan at the first older run.
 */
export async function pageRuns(ctx: Context, request: RunPageRequest): Promise<RunPage> {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, { field: 'limit' });
  let after = request.page_token ? decodeToken(request.page_token) : undefined;
  const runs = storeOf(ctx).runs;
  const found: RunDoc[] = [];
  for (;;) {
    const batch = await runs.newestFirst({ model: request.model, after, limit: SCAN_BATCH });
    for (const run of batch) {
      if (request.since && run.created_at < request.since) return page(found, null);
      if (!matches(run, request)) continue;
      found.push(run);
      // One more match than asked would be proof of a next page; a full page is enough to hand out a token.
      if (found.length === limit) return page(found, encodeToken(run));
    }
    if (batch.length < SCAN_BATCH) return page(found, null);
    const last = batch[batch.length - 1];
    after = { created_at: last.created_at, id: last.id };
  }
}

/** Whether a run passes the filter's checks that are not part of the query. */
export function matches(run: RunDoc, filter: RunFilter): boolean {
  if (filter.status && run.status !== filter.status) return false;
  if (filter.algorithm && (run.plan?.algorithm ?? run.training?.algorithm) !== filter.algorithm) return false;
  for (const [key, value] of Object.entries(filter.tags ?? {})) if (run.tags?.[key] !== value) return false;
  return true;
}

function page(runs: RunDoc[], token: string | null): RunPage {
  return { runs: runs.map(runView), next_page_token: token };
}

function encodeToken(run: RunDoc): string {
  return Buffer.from(JSON.stringify([run.created_at, run.id])).toString('base64url');
}

function decodeToken(token: string): { created_at: string; id: string } {
  try {
    const [created_at, id] = Cursor.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return { created_at, id };
  } catch {
    throw invalid('page_token is not one this API handed out: pass next_page_token from the previous page unchanged', { field: 'page_token' });
  }
}
