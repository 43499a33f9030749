import type { Command } from 'commander';
import { bigQuerySchedules, type BigQuerySchedule } from '../shared/pipeline/read_models/bigquery_schedules';
import { withContext } from './cli_context';
import { printJson, table } from './output';

/**
 * Terraform's `bigquery_schedules` as the models' mloop.json files give it: one Cloud Scheduler job per
 * model with `source.bigquery.schedule`. Printed for terraform.tfvars (or a *.auto.tfvars file) rather
 * than applied: Terraform stays the one owner of the project's resources.
 */
export function terraformSchedules(schedules: BigQuerySchedule[]): string {
  const width = Math.max(0, ...schedules.map((s) => JSON.stringify(s.model).length));
  const lines = schedules.map((s) => `  ${JSON.stringify(s.model).padEnd(width)} = ${JSON.stringify(s.schedule)}`);
  return [
    '# From the models\' mloop.json (source.bigquery.schedule), by `mloop schedules --terraform`.',
    lines.length ? `bigquery_schedules = {\n${lines.join('\n')}\n}` : 'bigquery_schedules = {}',
    '',
  ].join('\n');
}

export function registerSchedulesCommand(program: Command): void {
  program
    .command('schedules')
    .description("the BigQuery snapshot schedules in the models' mloop.json (source.bigquery.schedule); --terraform prints them as Terraform's bigquery_schedules")
    .option('--terraform', 'print the bigquery_schedules variable for terraform.tfvars')
    .option('--json', 'print JSON')
    .action(async (opts: { terraform?: boolean; json?: boolean }) => {
      await withContext(async (ctx) => {
        const { schedules, problems } = await bigQuerySchedules(ctx);
        for (const p of problems) process.stderr.write(`skipped ${p.model}: ${p.problem}\n`);
        if (opts.json) printJson(schedules);
        else if (opts.terraform) process.stdout.write(terraformSchedules(schedules));
        else process.stdout.write(table(['model', 'schedule (UTC)', 'reads'], schedules.map((s) => [s.model, s.schedule, s.reads])) + '\n');
      });
    });
}
