import fs from 'node:fs';
import path from 'node:path';
import { writeLargeFraudCsv } from '../../../shared/data/synthetic';
import { ingestObject } from '../../../shared/pipeline/usecases/on_data_uploaded';
import { withScratchContext } from '../../support/scratch_context';

/**
 * Child process of large_upload.test.ts: ingests a CSV of argv[2] MB in a process of its own, so that the
 * peak resident memory it prints (one JSON line) is the ingest's alone.
 */
async function main(): Promise<void> {
  await withScratchContext('mloop-large-upload-', async (ctx, home) => {
    const { config } = ctx;
    const local = path.join(home, 'big.csv');
    const rowsWritten = await writeLargeFraudCsv(local, Number(process.argv[2]) * 1024 * 1024);
    const meta = await ctx.platform.objects.putFile(config.dataBucket, 'datasets/big/big.csv', local, { contentType: 'text/csv' });
    fs.rmSync(local);
    await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
    const [doc] = (await ctx.platform.docs.query<{ status: string; rows?: number }>('datasets', {})).map((d) => d.data);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify({ bytes: meta.size, rows_written: rowsWritten, status: doc?.status, rows: doc?.rows, peak_rss_mb: peakRssMb }));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
