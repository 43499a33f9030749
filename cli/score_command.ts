import fs from 'node:fs';
import { MloopError } from '../shared/core/errors';
import type { Context } from '../shared/pipeline/context';
import { ModelServer, type ScoreResponse } from '../shared/serving/model_server';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { checkInputFile } from './input_file';
import { locateJsonMistake } from './json_location';
import { callStack } from './stack_client';

const SHAPE = 'score reads {"instances": [{...}, ...]} or an array of objects';

/** `mloop score <model> <file|->`: through the running stack when there is one, else in process. */
export async function scoreFromFile(ctx: Context, model: string, source: string): Promise<ScoreResponse> {
  const instances = parseInstances(source === '-' ? 'stdin' : source, source === '-' ? fs.readFileSync(0, 'utf8') : readFile(source));
  if (ctx.config.platform === 'local' && runningStackPid(ctx.config.home)) {
    return callStack<ScoreResponse>(ctx, `/score/${encodeURIComponent(model)}`, { method: 'POST', body: { instances } });
  }
  const server = new ModelServer(ctx);
  try {
    await server.refresh();
    return await server.score(model, instances);
  } finally {
    await server.close();
  }
}

/** The instances of a request body, or an error at the line and column where the JSON goes wrong. */
export function parseInstances(name: string, text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const at = locateJsonMistake(text);
    if (!at) throw new MloopError('invalid_argument', `${name} is not JSON: ${(err as Error).message}; ${SHAPE}`);
    const what = at.found === null ? 'it ends too early (a bracket or quote left open?)' : `unexpected ${JSON.stringify(at.found)}`;
    throw new MloopError('invalid_argument', `${name}:${at.line}:${at.column}: not valid JSON: ${what}; ${SHAPE}`, { line: at.line, column: at.column });
  }
  const instances = Array.isArray(body) ? body : (body as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances)) throw new MloopError('invalid_argument', `${name}: no instances: ${SHAPE}`);
  return instances;
}

function readFile(file: string): string {
  try {
    checkInputFile(file);
  } catch (err) {
    if (err instanceof MloopError && err.code === 'not_found') throw new MloopError('not_found', `${err.message} (or use - to read stdin)`);
    throw err;
  }
  return fs.readFileSync(file, 'utf8');
}
