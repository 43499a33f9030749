/**
 * The admin API as the page calls it. With MLOOP_API_KEY set, every /api route needs the key: the page
 * keeps what the person typed for this tab only (sessionStorage), never in the page's address.
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

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (apiKey.get()) headers.authorization = `Bearer ${apiKey.get()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) {
    const hint = res.status === 401 ? ' (enter the API key at the top right)' : '';
    throw new ApiError(res.status, `${method} /api${path}: ${payload?.error?.message ?? res.statusText}${hint}`);
  }
  return payload as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);
