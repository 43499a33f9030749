import os from 'node:os';
import type { Command } from 'commander';
import type { Context } from '../shared/pipeline/context';
import { runLogs } from '../shared/pipeline/read_models/run_logs';
import { cancelRun } from '../shared/pipeline/usecases/cancel_run';
import { withContext } from './cli_context';
import { printJson } from './output';

const FOLLOW_EVERY_MS = 500;

/** `mloop runs cancel <id>`: the run ends `cancelled`, its job is stopped, the next queued run takes the slot. */
export function registerRunsCancel(runs: Command): void {
  runs
    .command('cancel <id>')
    .description('cancel a queued or running run: its job is stopped and it is never retried')
    .option('-r, --reason <text>', 'why (kept on the run)')
    .option('--json', 'print the run as JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const actor = { by: `cli:${os.userInfo().username}`, reason: opts.reason || 'cancel from the CLI' };
        // On this machine the CLI can stop the child process itself; on Google Cloud the launcher does, as for the dashboard.
        const run = await cancelRun(ctx, id, actor, { stopExecution: ctx.config.platform === 'local' });
        if (opts.json) return printJson(run);
        process.stdout.write(`run ${run.id} cancelled by ${run.cancelled_by}: ${run.cancel_reason}\n`);
      }),
    );
}

/** `mloop logs <run> [--follow]`: the run's execution log, or where Cloud Logging has it. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs <run>')
    .description("a run's training log: locally its job's output (the tail, or all of it as it grows with --follow); on Google Cloud the Cloud Logging filter and console link")
    .option('-f, --follow', 'keep printing until the run ends')
    .action(async (runId: string, opts: { follow?: boolean }) => withContext((ctx) => printLogs(ctx, runId, Boolean(opts.follow))));
}

async function printLogs(ctx: Context, runId: string, follow: boolean): Promise<void> {
  let offset: number | undefined;
  let executionId: string | null = null;
  for (;;) {
    const logs = await runLogs(ctx, runId, { offset });
    // A retry is a new execution with a log of its own: read it from its start.
    if (logs.execution_id !== executionId && executionId !== null) {
      executionId = logs.execution_id;
      offset = 0;
      continue;
    }
    executionId = logs.execution_id;
    const log = logs.log;
    if (log?.kind === 'cloud_logging') {
      process.stdout.write(`Cloud Logging filter for execution ${logs.execution_id}:\n${log.filter}\n\nconsole: ${log.url}\n`);
      return;
    }
    if (log) {
      process.stdout.write(log.text);
      offset = log.nextOffset;
    }
    const more = log !== null && log.nextOffset < log.size;
    if (more) continue;
    if (!follow || logs.finished) {
      if (!log && !follow) process.stderr.write(`run ${runId} is ${logs.status} and has no execution yet\n`);
      return;
    }
    await ctx.platform.clock.sleep(FOLLOW_EVERY_MS);
  }
}
