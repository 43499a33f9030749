import type { Command } from 'commander';
import { withContext } from './cli_context';
import { printJson, table } from './output';

/** `mloop dlq`: events that kept failing, with their last error; `redeliver` puts one back. */
export function registerDlqCommand(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('dead letters: events that failed every delivery attempt, with the last error')
    .option('-s, --subscription <name>', 'only this subscription (e.g. on-training-completed)')
    .option('--json', 'print a JSON array')
    .enablePositionalOptions()
    .action(async (opts: { subscription?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const letters = await ctx.platform.bus.deadLetters(opts.subscription);
        if (opts.json) return printJson(letters);
        if (letters.length === 0) {
          process.stdout.write('no dead letters\n');
          return;
        }
        process.stdout.write(
          table(
            ['id', 'subscription', 'attempts', 'dead since', 'last error'],
            letters.map((d) => [d.id, d.subscription, d.deliveryAttempts, d.deadLetteredAt, d.lastError.slice(0, 100)]),
          ) + '\n',
        );
      }),
    );

  dlq
    .command('redeliver <id...>')
    .description('put dead letters back on their subscription, with a fresh attempt count')
    .action(async (ids: string[]) =>
      withContext(async (ctx) => {
        for (const id of ids) await ctx.platform.bus.redeliver(id);
        process.stdout.write(`redelivered ${ids.length} message${ids.length === 1 ? '' : 's'}\n`);
      }),
    );
}
