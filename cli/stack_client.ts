import type { Config } from '../shared/core/config';
import { errorFromHttp, MloopError } from '../shared/core/errors';
import type { Context } from '../shared/pipeline/context';
import { runningStackPid } from '../shared/platform/local/instance_lock';

/**
 * A call to the local stack's HTTP server, made when its lock says it runs. A refused connection then
 * means the CLI looks at another address than the one `mloop up` listens on (PORT or MLOOP_URL differ
 * between the two shells), or the stack is still starting or just died: the error names the URL tried.
 */
export async function callStack<T>(ctx: Context, route: string, init: { method: 'GET' | 'POST'; body?: unknown }): Promise<T> {
  const headers = authorization(ctx.config);
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const url = `${ctx.config.url}${route}`;
  let response: Response;
  try {
    response = await fetch(url, { method: init.method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    const pid = runningStackPid(ctx.config.home);
    const holder = pid ? `mloop up (process ${pid}) holds ${ctx.config.home}` : `no mloop up holds ${ctx.config.home}`;
    throw new MloopError(
      'unavailable',
      `cannot reach the stack at ${url} (${cause}); ${holder}: set PORT or MLOOP_URL to the address it printed, or start it with \`mloop up\``,
    );
  }
  const payload = (await response.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
  if (!response.ok) throw errorFromHttp(response.status, payload?.error?.message ?? `${init.method} ${url}: HTTP ${response.status}`);
  return payload as T;
}

/** The header a stack started with MLOOP_API_KEY asks for on everything but health. */
export function authorization(config: Config): Record<string, string> {
  return config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
}
