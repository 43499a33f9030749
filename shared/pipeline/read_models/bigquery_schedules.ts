import type { Context } from '../context';
import { modelConfigs } from './model_configs';

export interface BigQuerySchedule {
  model: string;
  /** unix-cron, UTC */
  schedule: string;
  /** The table, or "query". */
  reads: string;
}

/**
 * The schedules the models' mloop.json files give their BigQuery sources (`source.bigquery.schedule`),
 * which Terraform's `bigquery_schedules` turns into Cloud Scheduler jobs; and the files that do not
 * parse, which give none.
 */
export async function bigQuerySchedules(ctx: Context): Promise<{ schedules: BigQuerySchedule[]; problems: Array<{ model: string; problem: string }> }> {
  const schedules: BigQuerySchedule[] = [];
  const problems: Array<{ model: string; problem: string }> = [];
  for (const found of await modelConfigs(ctx)) {
    if ('problem' in found) {
      problems.push(found);
      continue;
    }
    const source = found.config.source?.bigquery;
    if (source?.schedule) schedules.push({ model: found.model, schedule: source.schedule, reads: source.table ?? 'query' });
  }
  return { schedules, problems };
}
