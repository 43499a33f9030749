import { MloopError } from '../../core/errors';
import type { Context } from '../context';
import type { DatasetConfig } from '../dataset_config';
import { CONFIG_FILE, readDatasetConfig } from '../usecases/on_data_uploaded';

const CONFIG_NAME = new RegExp(`^datasets/([a-z0-9][a-z0-9_-]{0,62})/${CONFIG_FILE.replace('.', '\\.')}$`);

/**
 * Every model's mloop.json in the data bucket, by model name (sorted), listed from the bucket on each
 * call: no index to keep in step with the files people edit. One that does not parse is given with
 * its reason instead, so that it keeps no other model from being read.
 */
export async function modelConfigs(ctx: Context): Promise<Array<{ model: string; config: DatasetConfig } | { model: string; problem: string }>> {
  const models = (await ctx.platform.objects.list(ctx.config.dataBucket, 'datasets/'))
    .map((o) => CONFIG_NAME.exec(o.name)?.[1])
    .filter((m): m is string => !!m)
    .sort();
  const out: Array<{ model: string; config: DatasetConfig } | { model: string; problem: string }> = [];
  for (const model of models) {
    try {
      out.push({ model, config: await readDatasetConfig(ctx, model, 'csv') });
    } catch (err) {
      if (!(err instanceof MloopError && err.permanent)) throw err;
      out.push({ model, problem: err.message });
    }
  }
  return out;
}
