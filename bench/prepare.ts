import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatasetConfig } from '../shared/pipeline/dataset_config';
import { encodedWidth } from '../shared/data/encoding';
import { prepareTrainingData } from '../shared/data/prepare';
import { writeFraudCsv } from '../shared/data/synthetic';

/**
 * prepareTrainingData on the demo data: seconds and peak RSS, each size in a fresh process so that the
 * peak is that size's own. `npm run bench:prepare [rows[:sample] ...]`, default 1 M, 6.3 M and 6.3 M
 * sampled to 500 000. Prints one JSON line per run.
 */
async function child(file: string, rows: number, sample: number | undefined) {
  const started = performance.now();
  const data = await prepareTrainingData(async () => createReadStream(file), parseDatasetConfig({}), { sample });
  const seconds = (performance.now() - started) / 1000;
  const line = {
    bench: 'prepare',
    rows,
    sample: sample ?? null,
    prepared: data.report.rows,
    features: encodedWidth(data.specs),
    seconds: +seconds.toFixed(2),
    rows_per_s: Math.round(rows / seconds),
    mb: +(statSync(file).size / 1e6).toFixed(1),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(line));
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'child') return child(args[0], Number(args[1]), args[2] ? Number(args[2]) : undefined);
  const runs = (mode ? [mode, ...args] : ['1000000', '6300000', '6300000:500000']).map((spec) => spec.split(':').map(Number));
  const dir = path.join(os.tmpdir(), 'mloop-bench');
  mkdirSync(dir, { recursive: true });
  for (const [rows, sample] of runs) {
    const file = path.join(dir, `fraud-${rows}.csv`);
    if (!existsSync(file)) await writeFraudCsv(file, { rows, seed: 1 });
    const args = [process.argv[1], 'child', file, String(rows), ...(sample ? [String(sample)] : [])];
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`prepare of ${rows} rows failed`);
    process.stdout.write(result.stdout);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
