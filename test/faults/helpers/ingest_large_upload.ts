import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../shared/core/config';
import { createLogger } from '../../../shared/core/log';
import { writeLargeFraudCsv } from '../../../shared/data/synthetic';
import { ingestObject } from '../../../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../../../shared/platform';

/**
 * Child process of large_upload.test.ts: ingests a CSV of argv[2] MB in a process of its own, so that the
 * peak resident memory it prints (one JSON line) is the ingest's alone.
 */
async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-large-upload-'));
  try {
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const ctx = { config, log, platform: createPlatform(config, log) };
    const local = path.join(home, 'big.csv');
    const rowsWritten = await writeLargeFraudCsv(local, Number(process.argv[2]) * 1024 * 1024);
    const meta = await ctx.platform.objects.putFile(config.dataBucket, 'datasets/big/big.csv', local, { contentType: 'text/csv' });
    fs.rmSync(local);
    await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
    const [doc] = (await ctx.platform.docs.query<{ status: string; rows?: number }>('datasets', {})).map((d) => d.data);
    await ctx.platform.close();
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify({ bytes: meta.size, rows_written: rowsWritten, status: doc?.status, rows: doc?.rows, peak_rss_mb: peakRssMb }));
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
