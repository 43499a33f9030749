import fs from 'node:fs';
import { errorFromHttp, MloopError } from '../shared/core/errors';
import type { Context } from '../shared/pipeline/context';
import { ModelServer, type ScoreResponse } from '../shared/pipeline/model_server';
import { runningStackPid } from '../shared/platform/local/instance_lock';

/** `mloop score <model> <file|->`: through the running stack when there is one, else in process. */
export async function scoreFromFile(ctx: Context, model: string, source: string): Promise<ScoreResponse> {
  const text = source === '-' ? fs.readFileSync(0, 'utf8') : readFile(source);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new MloopError('invalid_argument', `${source === '-' ? 'stdin' : source} is not JSON: ${(err as Error).message}`);
  }
  const instances = Array.isArray(body) ? body : (body as { instances?: unknown })?.instances;
  if (ctx.config.platform === 'local' && runningStackPid(ctx.config.home)) return scoreOverHttp(ctx, model, instances);
  const server = new ModelServer(ctx);
  try {
    await server.refresh();
    return await server.score(model, instances);
  } finally {
    await server.close();
  }
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new MloopError('not_found', `${file}: no such file (use - to read stdin)`);
  }
}

async function scoreOverHttp(ctx: Context, model: string, instances: unknown): Promise<ScoreResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ctx.config.apiKey) headers.authorization = `Bearer ${ctx.config.apiKey}`;
  const response = await fetch(`${ctx.config.url}/score/${encodeURIComponent(model)}`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ instances }),
  });
  const payload = (await response.json()) as ScoreResponse & { error?: { code: string; message: string } };
  if (!response.ok) throw errorFromHttp(response.status, payload.error?.message ?? `HTTP ${response.status}`);
  return payload;
}
