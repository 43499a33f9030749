import { MloopError } from '../../core/errors';

/**
 * A cursor over a listing in a stable order: the page token is the key of the last item handed out,
 * so a page that follows starts after it even when items were added or removed meanwhile (an offset
 * would skip or repeat them). The token is opaque to callers: base64url of the key.
 */
export interface PageRequest {
  limit?: number;
  page_token?: string;
}

export interface Page<T> {
  items: T[];
  next_page_token: string | null;
}

export const MAX_PAGE = 500;

export function pageOf<T>(items: T[], keyOf: (item: T) => string, request: PageRequest): Page<T> {
  const limit = request.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new MloopError('invalid_argument', `limit must be an integer from 1 to ${MAX_PAGE}`);
  let after: string | null = null;
  if (request.page_token) {
    after = Buffer.from(request.page_token, 'base64url').toString('utf8');
    if (!after || Buffer.from(after, 'utf8').toString('base64url') !== request.page_token) {
      throw new MloopError('invalid_argument', 'page_token is not one this API handed out: pass next_page_token from the previous page as is');
    }
  }
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const start = after === null ? 0 : sorted.findIndex((item) => compare(keyOf(item), after!) > 0);
  const rest = start < 0 ? [] : sorted.slice(start);
  const page = rest.slice(0, limit);
  const more = rest.length > limit;
  return { items: page, next_page_token: more ? Buffer.from(keyOf(page[page.length - 1]), 'utf8').toString('base64url') : null };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `?limit=&page_token=` from a query, or null when neither is given (the caller answers its whole list, as before paging existed). */
export function pageRequestOf(query: Record<string, unknown>): PageRequest | null {
  const limit = typeof query.limit === 'string' ? query.limit : undefined;
  const token = typeof query.page_token === 'string' ? query.page_token : undefined;
  if (limit === undefined && token === undefined) return null;
  if (limit !== undefined && !/^\d{1,4}$/.test(limit)) throw new MloopError('invalid_argument', `limit must be an integer from 1 to ${MAX_PAGE}, got "${limit.slice(0, 20)}"`);
  return { ...(limit !== undefined ? { limit: Number(limit) } : {}), ...(token !== undefined ? { page_token: token } : {}) };
}
