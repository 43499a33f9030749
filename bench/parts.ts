import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { prepareTrainingData } from '../shared/data/prepare';
import { writeFraudCsv } from '../shared/data/synthetic';
import type { Context } from '../shared/pipeline/context';
import { storeOf } from '../shared/pipeline/store';
import { datasetConfigOf } from '../shared/pipeline/store/stored_config';
import { openDatasetTable } from '../shared/pipeline/training/dataset_objects';
import { ingestObject } from '../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../shared/platform';

/**
 * `npm run bench:parts [rows] [parts]`: the same rows as one CSV (the anchor) and as a dataset in parts
 * (8 by default) plus _SUCCESS, each ingested (hash, validate, record) and then read by the train job's
 * data path, on the local platform in this process. Alternated three times; the median of each, and the
 * parts' time over the one file's. One JSON line per measure.
 */
async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 400_000);
  const count = Number(process.argv[3] ?? 8);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-parts-'));
  try {
    const whole = path.join(home, 'fraud.csv');
    await writeFraudCsv(whole, { rows, seed: 7 });
    const [header, ...lines] = fs.readFileSync(whole, 'utf8').trim().split('\n');
    const per = Math.ceil(lines.length / count);
    const parts = Array.from({ length: count }, (_, i) => `${header}\n${lines.slice(i * per, (i + 1) * per).join('\n')}\n`);
    const times: Record<'file' | 'parts', { ingest: number[]; read: number[] }> = { file: { ingest: [], read: [] }, parts: { ingest: [], read: [] } };
    for (let round = 0; round < 3; round++) {
      for (const shape of ['file', 'parts'] as const) {
        // a fresh store each time: the ingest must not find the version already recorded
        const config = configFor(path.join(home, `${shape}-${round}`), { MLOOP_LOG_LEVEL: 'silent' });
        const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
        const { objects } = ctx.platform;
        const marker =
          shape === 'file'
            ? await objects.putFile(config.dataBucket, 'datasets/fraud/fraud.csv', whole)
            : await (async () => {
                for (const [i, body] of parts.entries()) await objects.put(config.dataBucket, `datasets/fraud/export/part-${String(i).padStart(5, '0')}.csv`, body);
                return objects.put(config.dataBucket, 'datasets/fraud/export/_SUCCESS', '');
              })();
        const t0 = performance.now();
        const result = await ingestObject(ctx, { bucket: marker.bucket, name: marker.name, generation: marker.generation });
        const t1 = performance.now();
        if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
        const doc = (await storeOf(ctx).datasets.get('fraud', result.version))!;
        const data = await prepareTrainingData(() => openDatasetTable(ctx, doc, { verify: true }), datasetConfigOf(doc));
        const t2 = performance.now();
        if (data.report.rows !== lines.length) throw new Error(`${shape}: ${data.report.rows} rows, not ${lines.length}`);
        times[shape].ingest.push((t1 - t0) / 1000);
        times[shape].read.push((t2 - t1) / 1000);
        await ctx.platform.close();
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    for (const step of ['ingest', 'read'] as const) {
      const file = median(times.file[step]);
      const inParts = median(times.parts[step]);
      console.log(JSON.stringify({ bench: 'parts', step, rows: lines.length, parts: count, anchor: 'one CSV file', file_s: +file.toFixed(3), parts_s: +inParts.toFixed(3), ratio: +(inParts / file).toFixed(3), load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }));
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
