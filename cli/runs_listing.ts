import type { Request } from 'express';
import type { Context } from '../shared/pipeline/context';
import type { RunView } from '../shared/pipeline/read_models/listings';
import { pageRuns } from '../shared/pipeline/read_models/run_page';
import { runPageRequest } from '../shared/serving/run_routes';

export interface RunsOptions {
  model?: string;
  status?: string;
  algorithm?: string;
  since?: string;
  tag?: Record<string, string>;
  limit?: number;
  pageToken?: string;
  json?: boolean;
}

/**
 * `mloop runs` with the filters GET /api/runs takes, checked the same way: with --limit one page,
 * otherwise every matching run; printed oldest first, as the listing always was.
 */
export async function listRunPages(ctx: Context, query: Request['query']): Promise<{ runs: RunView[]; next_page_token: string | null }> {
  const request = runPageRequest(query);
  const runs: RunView[] = [];
  let token = request.page_token;
  for (;;) {
    const page = await pageRuns(ctx, { ...request, page_token: token });
    runs.push(...page.runs);
    token = page.next_page_token ?? undefined;
    if (request.limit !== undefined || !token) return { runs: runs.reverse(), next_page_token: request.limit !== undefined ? page.next_page_token : null };
  }
}
