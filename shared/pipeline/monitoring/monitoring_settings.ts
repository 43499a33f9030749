import { errorMessage } from '../../core/errors';
import { DEFAULT_MONITORING, type MonitoringSettings } from '../../monitoring/settings';
import type { Context } from '../context';
import { storeOf } from '../store';
import { datasetConfigOf } from '../store/stored_config';

/**
 * The `monitoring` section of the mloop.json stored with the dataset version that trained the model's
 * production version (or `version`, the one a report is about), not the live file: a model is watched
 * with the settings it was trained and promoted with, which name its features and were validated with
 * its data (README, Monitoring). Without a production version, or for a version whose documents are
 * gone, the defaults apply; so does an old document whose config no longer parses, logged, since that
 * must not stop monitoring.
 */
export async function monitoringSettings(ctx: Context, model: string, version?: string): Promise<MonitoringSettings> {
  const store = storeOf(ctx);
  const served = version ?? (await store.models.productionVersion(model));
  if (!served) return DEFAULT_MONITORING;
  const trained = await store.versions.get(model, served);
  const dataset = trained ? await store.datasets.get(model, trained.dataset_version) : null;
  if (!dataset) {
    ctx.log.warn({ model, version: served }, 'no dataset recorded for the served version: monitoring uses its defaults');
    return DEFAULT_MONITORING;
  }
  try {
    return datasetConfigOf(dataset).monitoring ?? DEFAULT_MONITORING;
  } catch (err) {
    ctx.log.warn({ model, version: served, err: errorMessage(err) }, 'stored config unreadable: monitoring uses its defaults');
    return DEFAULT_MONITORING;
  }
}
