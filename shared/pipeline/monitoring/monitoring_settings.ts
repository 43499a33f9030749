import { errorMessage } from '../../core/errors';
import { DEFAULT_MONITORING, type MonitoringSettings } from '../../monitoring/settings';
import type { Context } from '../context';
import { readDatasetConfig } from '../usecases/on_data_uploaded';

/**
 * The `monitoring` section of the model's current mloop.json. A file that no longer parses must not
 * stop monitoring: the defaults apply and the problem is logged.
 */
export async function monitoringSettings(ctx: Context, model: string): Promise<MonitoringSettings> {
  try {
    return (await readDatasetConfig(ctx, model)).monitoring ?? DEFAULT_MONITORING;
  } catch (err) {
    ctx.log.warn({ model, err: errorMessage(err) }, 'mloop.json unreadable: monitoring uses its defaults');
    return DEFAULT_MONITORING;
  }
}
