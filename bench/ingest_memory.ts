import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { writeLargeFraudCsv } from '../shared/data/synthetic';
import { ingestObject } from '../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../shared/platform';

/**
 * `npm run bench:ingest [MB]`: ingest of a large upload (2048 MB by default) in this process, with the
 * peak resident memory of the whole process, which must stay bounded whatever the file's size. The
 * file is written streaming (a block of synthetic rows repeated) and put into the local store
 * streaming, so the only thing that could grow with it is the ingest itself. One JSON line.
 */
async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 2048);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-ingest-memory-'));
  try {
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const ctx = { config, log, platform: createPlatform(config, log) };
    const local = path.join(home, 'big.csv');
    const started = performance.now();
    const rows = await writeLargeFraudCsv(local, megabytes * 1024 * 1024);
    const written = performance.now();
    const meta = await ctx.platform.objects.putFile(config.dataBucket, 'datasets/big/big.csv', local, { contentType: 'text/csv' });
    fs.rmSync(local);
    const stored = performance.now();
    const result = await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
    const ingested = performance.now();
    const [doc] = (await ctx.platform.docs.query<{ status: string; rows?: number; reason?: string }>('datasets', {})).map((d) => d.data);
    await ctx.platform.close();
    console.log(
      JSON.stringify({
        bench: 'ingest_memory',
        bytes: meta.size,
        rows_written: rows,
        outcome: result.outcome,
        status: doc?.status,
        rows: doc?.rows,
        reason: doc?.reason,
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        write_s: +((written - started) / 1000).toFixed(1),
        store_s: +((stored - written) / 1000).toFixed(1),
        ingest_s: +((ingested - stored) / 1000).toFixed(1),
      }),
    );
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
