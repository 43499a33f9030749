import os from 'node:os';
import type { Command } from 'commander';
import { tagsFromArgs } from '../shared/core/tags';
import { requestManualRetrain } from '../shared/pipeline/usecases/manual_retrain';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { withContext } from './cli_context';
import { printJson } from './output';

/** `mloop retrain <model>`: a training request on the newest dataset, although nothing changed. */
export function registerRetrainCommand(program: Command): void {
  program
    .command('retrain <model>')
    .description('train <model> again on its newest uploaded dataset, even when nothing changed')
    .option('-r, --reason <text>', 'why (kept on the run)')
    .option('--tag <key=value>', 'a tag on the run, to find and compare it by (repeat for several)', (tag: string, all: string[]) => [...all, tag], [] as string[])
    .option('--json', 'print JSON')
    .action(async (model: string, opts: { reason?: string; tag: string[]; json?: boolean }) =>
      withContext(async (ctx) => {
        const requested = await requestManualRetrain(ctx, model, `cli:${os.userInfo().username}`, opts.reason, tagsFromArgs(opts.tag));
        if (opts.json) return printJson(requested);
        process.stdout.write(`retraining of ${model} on dataset ${requested.dataset_version} requested (${requested.request_id})\n`);
        if (ctx.config.platform === 'local' && !runningStackPid(ctx.config.home)) {
          process.stdout.write('no local stack is running: start it with `npm start` and it will pick the request up\n');
        }
      }),
    );
}
