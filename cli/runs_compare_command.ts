import type { Command } from 'commander';
import { runComparison } from '../shared/pipeline/read_models/run_comparison';
import { withContext } from './cli_context';
import { comparisonText } from './comparison_text';
import { printJson } from './output';

/** `mloop runs compare <a> <b> [...]`: as the dashboard's compare page and `GET /api/runs/compare`. */
export function registerRunsCompareCommand(runs: Command): void {
  runs
    .command('compare <runs...>')
    .description('runs side by side: the parameters that differ, the metrics with the better one marked, the holdout each was measured on (warns when they differ), how each training ended')
    .option('--all', 'every parameter, the equal ones too')
    .option('--json', 'print the comparison as JSON (as GET /api/runs/compare)')
    .action(async (ids: string[], opts: { all?: boolean; json?: boolean }, command: Command) =>
      withContext(async (ctx) => {
        const comparison = await runComparison(ctx, ids);
        // `mloop runs --json compare …` too: `runs` takes its own --json before the subcommand's
        if (opts.json || command.parent?.opts().json) return printJson(comparison);
        process.stdout.write(comparisonText(comparison, opts.all));
      }),
    );
}
