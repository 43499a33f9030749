import { parse } from '@cdktf/hcl2json';
import { terraformSchedules } from '../../../../cli/schedules_command';
import type { Context } from '../../../../shared/pipeline/context';
import { parseDatasetConfig } from '../../../../shared/pipeline/dataset_config';
import { bigQuerySchedules } from '../../../../shared/pipeline/read_models/bigquery_schedules';
import { scratchContextEachTest } from '../../../support/scratch_context';

/**
 * `source.bigquery.schedule` in a model's mloop.json becomes Terraform's bigquery_schedules, which
 * terraform/bigquery.tf turns into one Cloud Scheduler job per model: `mloop schedules --terraform`.
 */
let ctx: Context;

scratchContextEachTest('mloop-schedules-', (c) => {
  ctx = c;
});

const put = (model: string, body: unknown) => ctx.platform.objects.put(ctx.config.dataBucket, `datasets/${model}/mloop.json`, typeof body === 'string' ? body : JSON.stringify(body));

test("each model's schedule, as the tfvars of bigquery_schedules; models without one, and broken files, give none", async () => {
  await put('payments', { target: 'fraud', source: { bigquery: { table: 'acme-sales.pay.tx', schedule: '0 3 * * *' } } });
  await put('churn', { target: 'churned', source: { bigquery: { query: 'SELECT * FROM `a-b-c-d.crm.c` FOR SYSTEM_TIME AS OF @snapshot_time', schedule: '30 */6 * * 1-5' } } });
  await put('onchange', { target: 'y', source: { bigquery: { table: 'acme-sales.pay.refunds' } } });
  await put('uploaded', { target: 'y' });
  await put('broken', '{ not json');
  const { schedules, problems } = await bigQuerySchedules(ctx);
  expect(schedules).toEqual([
    { model: 'churn', schedule: '30 */6 * * 1-5', reads: 'query' },
    { model: 'payments', schedule: '0 3 * * *', reads: 'acme-sales.pay.tx' },
  ]);
  expect(problems).toEqual([{ model: 'broken', problem: expect.stringMatching(/not valid JSON/) }]);

  const tfvars = terraformSchedules(schedules);
  // what Terraform reads from it: the map(string) variable
  const parsed = (await parse('schedules.auto.tfvars', tfvars)) as Record<string, unknown>;
  expect(parsed.bigquery_schedules).toEqual({ churn: '30 */6 * * 1-5', payments: '0 3 * * *' });
  expect(await parse('empty.auto.tfvars', terraformSchedules([]))).toEqual({ bigquery_schedules: {} });
});

test('a schedule that is not five cron fields is refused with the mloop.json it is in', () => {
  expect(() => parseDatasetConfig({ target: 'y', source: { bigquery: { table: 'acme-sales.pay.tx', schedule: 'daily' } } })).toThrow(/unix-cron schedule of five fields/);
  expect(parseDatasetConfig({ target: 'y', source: { bigquery: { table: 'acme-sales.pay.tx', schedule: ' 0 3 * * * ' } } }).source?.bigquery?.schedule).toBe('0 3 * * *');
});
