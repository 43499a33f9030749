/**
 * The admin API as the page calls it. The page reads without a key: with MLOOP_API_KEY (or
 * MLOOP_ALLOWED_IDENTITIES) set, only the actions (approve, reject, roll back, redeliver, monitor) and
 * the dead letters need it, and every read too with MLOOP_DASHBOARD_READS=key. The key, or a Google ID
 * token of an allowed identity, is asked for when the API answers 401, and kept for this tab only
 * (sessionStorage), never in the page's address.
 */
const KEY = 'mloop-api-key';

export const apiKey = {
  get: () => sessionStorage.getItem(KEY) ?? '',
  set: (key: string) => (key ? sessionStorage.setItem(KEY, key) : sessionStorage.removeItem(KEY)),
};

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Dispatched on the document when the API wants credentials, so the key form can say so. */
export const NEEDS_KEY = 'mloop:needs-key';

function hint(method: string, status: number): string {
  const given = apiKey.get() !== '';
  if (status === 401 && method === 'GET') {
    return given ? ' (the key at the top right was not accepted: correct it and press "Use key")' : ' (this page needs the API key: enter it at the top right)';
  }
  if (status === 401) {
    return given
      ? '. The key at the top right was not accepted for this action: correct it, press "Use key", and try again.'
      : '. This action needs the API key: enter it at the top right, press "Use key", and try again.';
  }
  if (status === 403) return '. This identity is not allowed to act here: use the API key or an identity on MLOOP_ALLOWED_IDENTITIES.';
  return '';
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey.get()) headers.authorization = `Bearer ${apiKey.get()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) {
    if (res.status === 401) document.dispatchEvent(new CustomEvent(NEEDS_KEY));
    throw new ApiError(res.status, `${method} /api${path}: ${payload?.error?.message ?? res.statusText}${hint(method, res.status)}`);
  }
  return payload as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

/**
 * An image the API serves, as an object URL for an <img>: the element itself could not send the key,
 * which the thumbnails need as every read does with MLOOP_DASHBOARD_READS=key.
 */
export async function imageUrl(path: string): Promise<string> {
  const headers: Record<string, string> = {};
  if (apiKey.get()) headers.authorization = `Bearer ${apiKey.get()}`;
  const res = await fetch(`/api${path}`, { headers });
  if (!res.ok) {
    if (res.status === 401) document.dispatchEvent(new CustomEvent(NEEDS_KEY));
    throw new ApiError(res.status, `GET /api${path}: ${res.statusText}${hint('GET', res.status)}`);
  }
  return URL.createObjectURL(await res.blob());
}
