import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { writeLargeFraudCsv } from '../shared/data/synthetic';
import { ingestObject } from '../shared/pipeline/usecases/on_data_uploaded';
import { createPlatform } from '../shared/platform';

/**
 * `npm run bench:ingest [MB] [csv|parquet]`: ingest of a large upload (2048 MB by default) in this process, with the
 * peak resident memory of the whole process, which must stay bounded whatever the file's size. The
 * file is written streaming (a block of synthetic rows repeated) and put into the local store
 * streaming, so the only thing that could grow with it is the ingest itself. One JSON line.
 *
 * With `parquet`, the same rows are converted by pyarrow (zstd, dictionary strings, row groups of 128 Ki
 * rows, in bounded memory: bench/parquet_data.py) and the Parquet file is ingested instead; it is far
 * smaller than the CSV, so its row count is the one to compare. pyarrow as in bench:csv.
 */
const VENV = process.env.MLOOP_BENCH_PARQUET_VENV ?? path.join(os.tmpdir(), 'mloop-pyarrow-venv');
const WHEELS = process.env.MLOOP_WHEELS ?? '/opt/pypi/files';

function toParquet(csv: string, parquet: string): void {
  const python = path.join(VENV, 'bin', 'python');
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  };
  if (!fs.existsSync(python)) run('python3', ['-m', 'venv', VENV]);
  if (spawnSync(python, ['-c', 'import pyarrow']).status !== 0) run(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', '--no-index', '--find-links', WHEELS, 'pyarrow']);
  run(python, [path.join(__dirname, '..', '..', 'bench', 'parquet_data.py'), 'convert', csv, parquet]);
}

async function main(): Promise<void> {
  const megabytes = Number(process.argv[2] ?? 2048);
  const format = process.argv[3] === 'parquet' ? 'parquet' : 'csv';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-ingest-memory-'));
  try {
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const ctx = { config, log, platform: createPlatform(config, log) };
    const local = path.join(home, 'big.csv');
    const started = performance.now();
    const rows = await writeLargeFraudCsv(local, megabytes * 1024 * 1024);
    let upload = local;
    if (format === 'parquet') {
      upload = path.join(home, 'big.parquet');
      toParquet(local, upload);
      fs.rmSync(local);
    }
    const written = performance.now();
    const meta = await ctx.platform.objects.putFile(config.dataBucket, `datasets/big/big.${format}`, upload);
    fs.rmSync(upload);
    const stored = performance.now();
    const result = await ingestObject(ctx, { bucket: meta.bucket, name: meta.name, generation: meta.generation });
    const ingested = performance.now();
    const [doc] = (await ctx.platform.docs.query<{ status: string; rows?: number; reason?: string }>('datasets', {})).map((d) => d.data);
    await ctx.platform.close();
    console.log(
      JSON.stringify({
        bench: 'ingest_memory',
        format,
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
