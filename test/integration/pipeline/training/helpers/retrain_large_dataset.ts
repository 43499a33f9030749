import fs from 'node:fs';
import path from 'node:path';
import { datasetId } from '../../../../../shared/core/ids';
import { FRAUD_COLUMNS, fraudRows, writeLargeFraudCsv } from '../../../../../shared/data/synthetic';
import { DATASET_CONFIG_VERSION, parseDatasetConfig } from '../../../../../shared/pipeline/dataset_config';
import { COLLECTIONS, type DatasetDoc } from '../../../../../shared/pipeline/store/documents';
import type { DriftReportDoc } from '../../../../../shared/pipeline/store/monitoring_documents';
import { datasetWithFeedback } from '../../../../../shared/pipeline/training/retrain_dataset';
import { recordFeedback } from '../../../../../shared/pipeline/usecases/feedback';
import { PredictionLog } from '../../../../../shared/serving/prediction_log';
import { withScratchContext } from '../../../../support/scratch_context';

/**
 * Child process of retrain_dataset.test.ts: builds the drift retraining dataset from a base CSV of
 * argv[2] MB plus argv[3] labelled predictions, in a process of its own, so that the peak resident memory
 * it prints (one JSON line) is that work's alone.
 */
async function main(): Promise<void> {
  await withScratchContext('mloop-retrain-large-', async (ctx, home) => {
    const { config } = ctx;
    const local = path.join(home, 'big.csv');
    const rowsWritten = await writeLargeFraudCsv(local, Number(process.argv[2]) * 1024 * 1024);
    const meta = await ctx.platform.objects.putFile(config.dataBucket, 'datasets/big/big.csv', local, { contentType: 'text/csv' });
    fs.rmSync(local);
    const base: DatasetDoc = {
      model: 'big',
      version: 'base',
      status: 'accepted',
      object: { bucket: meta.bucket, name: meta.name, generation: meta.generation, md5Hash: meta.md5Hash, size: meta.size },
      header: [...FRAUD_COLUMNS],
      config: parseDatasetConfig({}),
      config_version: DATASET_CONFIG_VERSION,
      rows: rowsWritten,
      created_at: new Date().toISOString(),
    };
    await ctx.platform.docs.create(COLLECTIONS.datasets, datasetId('big', 'base'), { ...base });

    const from = ctx.platform.clock.now();
    const predictions = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 60_000, maxBuffered: 100_000 });
    const labelled = Number(process.argv[3]);
    const rows = [...fraudRows(labelled, 99)].map(({ isFraud: _label, ...features }) => features);
    rows.forEach((features, i) => predictions.record(`r${i}`, 'big', 'v1', [features], [{ score: 0.5, label: 0 }]));
    await predictions.stop();
    await recordFeedback(ctx, rows.map((_, i) => ({ request_id: `r${i}`, index: 0, label: (i % 2) as 0 | 1 })), 'test');
    const to = new Date(ctx.platform.clock.now().getTime() + 60_000);
    const report = { id: 'rep', model: 'big', window: { from: new Date(from.getTime() - 60_000).toISOString(), to: to.toISOString() } } as DriftReportDoc;

    const derived = await datasetWithFeedback(ctx, base, report);
    const tail = await lastLines(ctx.platform.objects.createReadStream(derived.object.bucket, derived.object.name), 2);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      JSON.stringify({ bytes: meta.size, derived_bytes: derived.object.size, derived_version: derived.version, feedback_rows: derived.derived_from?.feedback_rows, tail, peak_rss_mb: peakRssMb }),
    );
  });
}

/** The last `n` lines of a stream, keeping only a little of it. */
async function lastLines(opened: Promise<NodeJS.ReadableStream>, n: number): Promise<string[]> {
  let keep = '';
  for await (const chunk of await opened) keep = (keep + chunk.toString()).slice(-4096);
  return keep.trimEnd().split('\n').slice(-n);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
