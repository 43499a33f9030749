import fs from 'node:fs';
import type { Command } from 'commander';
import { MloopError } from '../shared/core/errors';
import type { Explanation } from '../shared/ml/explain/explainer';
import type { Context } from '../shared/pipeline/context';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { ModelServer } from '../shared/serving/model_server';
import { withContext } from './cli_context';
import { fixed, printJson, table } from './output';
import { parseInstances } from './score_command';
import { callStack } from './stack_client';

export interface ExplainResponse {
  model_version: string;
  explanations: Explanation[];
}

/** `mloop explain <model> <file|->`: POST /explain/<model> on the running stack when there is one, else in process. */
export async function explainFromFile(ctx: Context, model: string, source: string): Promise<ExplainResponse> {
  const instances = parseInstances(source === '-' ? 'stdin' : source, source === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(source, 'utf8'));
  if (ctx.config.platform === 'local' && runningStackPid(ctx.config.home)) {
    return callStack<ExplainResponse>(ctx, `/explain/${encodeURIComponent(model)}`, { method: 'POST', body: { instances } });
  }
  const server = new ModelServer(ctx);
  try {
    await server.refresh();
    const { scorer } = await server.scorerFor(model);
    if (!scorer.explain) throw new MloopError('failed_precondition', `${model} ${scorer.version} cannot be explained`);
    const result = await scorer.explain(instances);
    if (!result.ok) throw new MloopError('invalid_argument', `invalid instances: ${result.errors.slice(0, 5).map((e) => e.message).join('; ')}`);
    return { model_version: scorer.version, explanations: result.explanations };
  } finally {
    await server.close();
  }
}

/** One table per row: the score, then base value and contributions adding up to the raw score. */
export function explanationText(answer: ExplainResponse): string {
  return answer.explanations
    .map((e, i) => {
      const head = `row ${i}: score ${fixed(e.score, 4)}${e.class !== undefined ? ` (class ${e.class})` : ''}, raw ${fixed(e.raw_score, 4)} = base ${fixed(e.base_value, 4)} + contributions${e.approximate ? ' (approximate)' : ''}`;
      return `${head}\n${table(['feature', 'contribution'], Object.entries(e.contributions).map(([f, v]) => [f, (v >= 0 ? '+' : '') + fixed(v, 4)]))}`;
    })
    .join('\n');
}

export function registerExplainCommand(program: Command): void {
  program
    .command('explain <model> <source>')
    .description('explain instances from a JSON file (or - for stdin): each feature\'s contribution to the raw score, with the base value')
    .option('--json', 'print the answer as JSON')
    .action(async (model: string, source: string, opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const answer = await explainFromFile(ctx, model, source);
        if (opts.json) printJson(answer);
        else process.stdout.write(`${model} ${answer.model_version}\n${explanationText(answer)}\n`);
      });
    });
}
