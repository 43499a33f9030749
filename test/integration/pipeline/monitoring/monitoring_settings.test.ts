import { modelVersionId } from '../../../../shared/core/ids';
import { DEFAULT_MONITORING } from '../../../../shared/monitoring/settings';
import type { Context } from '../../../../shared/pipeline/context';
import { monitoringSettings } from '../../../../shared/pipeline/monitoring/monitoring_settings';
import { COLLECTIONS } from '../../../../shared/pipeline/store/documents';
import { ingestObject } from '../../../../shared/pipeline/usecases/on_data_uploaded';
import { scratchContextEachTest } from '../../../support/scratch_context';

/**
 * Monitoring follows the mloop.json stored with the dataset version that trained the production model,
 * not the live file: editing the file changes nothing until a model trained after the edit is promoted.
 */
let ctx: Context;

scratchContextEachTest('mloop-monitoring-settings-', (c) => {
  ctx = c;
});

const csv = (seed: number) => 'amount,isFraud\n' + Array.from({ length: 30 }, (_, i) => `${i + seed},${i % 2}`).join('\n') + '\n';
const writeMloopJson = (monitoring: Record<string, unknown>) =>
  ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/fraud/mloop.json', JSON.stringify({ monitoring }));

async function ingest(name: string, seed: number): Promise<string> {
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, `datasets/fraud/${name}`, csv(seed));
  const result = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  return result.version;
}

/** What onTrainingCompleted leaves behind for a promoted version, as far as monitoring reads it. */
async function promote(version: string, datasetVersion: string): Promise<void> {
  const now = new Date().toISOString();
  await ctx.platform.docs.set(COLLECTIONS.versions, modelVersionId('fraud', version), { model: 'fraud', version, stage: 'production', dataset_version: datasetVersion, created_at: now });
  await ctx.platform.docs.set(COLLECTIONS.models, 'fraud', { name: 'fraud', production_version: version, previous_version: null, next_version: 9, updated_at: now });
}

describe('the monitoring settings of a model', () => {
  it('are the defaults while nothing is in production', async () => {
    await writeMloopJson({ drift_share: 0.9 });
    await ingest('a.csv', 0);
    expect(await monitoringSettings(ctx, 'fraud')).toEqual(DEFAULT_MONITORING);
  });

  it('come from the dataset that trained production; the live mloop.json changes them only through a newer promoted model', async () => {
    await writeMloopJson({ drift_share: 0.8, features: { amount: { method: 'psi', threshold: 0.2 } } });
    const first = await ingest('a.csv', 0);
    await promote('v1', first);
    expect(await monitoringSettings(ctx, 'fraud')).toMatchObject({ drift_share: 0.8, window_hours: 24, features: { amount: { method: 'psi', threshold: 0.2, ignore: false } } });

    await writeMloopJson({ drift_share: 0.3, window_hours: 2 });
    expect(await monitoringSettings(ctx, 'fraud')).toMatchObject({ drift_share: 0.8, window_hours: 24 });
    // An edit that does not even parse cannot reset monitoring to the defaults.
    await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/fraud/mloop.json', '{"monitoring": {"drift_share": 7}}');
    expect(await monitoringSettings(ctx, 'fraud')).toMatchObject({ drift_share: 0.8 });

    await writeMloopJson({ drift_share: 0.3, window_hours: 2 });
    const second = await ingest('b.csv', 100);
    expect(await monitoringSettings(ctx, 'fraud')).toMatchObject({ drift_share: 0.8 });
    await promote('v2', second);
    expect(await monitoringSettings(ctx, 'fraud')).toMatchObject({ drift_share: 0.3, window_hours: 2 });
    // A report about an older version uses that version's settings.
    expect(await monitoringSettings(ctx, 'fraud', 'v1')).toMatchObject({ drift_share: 0.8 });
  });
});
