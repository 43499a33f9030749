import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../shared/core/config';
import { modelVersionId } from '../shared/core/ids';
import { createLogger } from '../shared/core/log';
import type { ColumnData } from '../shared/data/column_summary';
import { fraudRows } from '../shared/data/synthetic';
import { compareToReference } from '../shared/monitoring/drift';
import { buildReference } from '../shared/monitoring/reference_profile';
import { MonitoringSettings } from '../shared/monitoring/settings';
import type { Context } from '../shared/pipeline/context';
import { COLLECTIONS } from '../shared/pipeline/store/documents';
import { predictionObjectPrefix } from '../shared/pipeline/store/prediction_records';
import { monitorModel } from '../shared/pipeline/usecases/on_monitoring_tick';
import { forEachPrediction } from '../shared/pipeline/monitoring/prediction_window';
import { PredictionLog } from '../shared/serving/prediction_log';
import { writeReference } from '../shared/pipeline/artifacts/reference_file';
import { createPlatform } from '../shared/platform';
import type { Clock } from '../shared/platform/ports';

/**
 * A monitoring tick on a million logged predictions of the demo's features: `npm run bench:drift
 * [rows] [--python <interpreter>]`. The log and the reference are written first (not timed); the tick
 * then runs in a fresh process, so that its peak RSS is its own. Twice: on the log as mloop writes it
 * (Parquet batches), then on the same rows as NDJSON lines, the format before, for the ratio. A second line times the statistics
 * alone on 100 000 rows, the size the numpy/scipy reference (bench/drift_reference.py, run when the
 * interpreter has scipy) prints its own line for. The machine's load average goes with the numbers.
 */
type Format = 'parquet' | 'ndjson';
const NUMERIC = ['step', 'amount', 'oldbalanceOrg', 'newbalanceOrig', 'oldbalanceDest', 'newbalanceDest'] as const;
const AT = new Date('2026-06-01T12:00:00.000Z');
const cpuOf = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1e6;
const load = () => os.loadavg().map((l) => +l.toFixed(2));

function context(home: string, now: () => Date): Context {
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
  const clock: Clock = { now, sleep: async () => {} };
  return { config, log: createLogger('silent'), platform: { ...createPlatform(config), clock } };
}

function trainingColumns(n: number, seed: number): Array<{ name: string } & ColumnData> {
  const rows = [...fraudRows(n, seed)];
  const types = new Map<string, number>();
  for (const r of rows) types.set(r.type, (types.get(r.type) ?? 0) + 1);
  return [
    ...NUMERIC.map((name) => ({ name, kind: 'numeric' as const, values: Float64Array.from(rows, (r) => r[name]), missing: 0 })),
    { name: 'type', kind: 'categorical' as const, counts: types, missing: 0 },
  ];
}

/**
 * The log as mloop wrote it before its Parquet batches: one NDJSON line per instance, 5 000 lines an
 * object. The tick still reads such a log; timing it in the same run is the anchor for the format.
 */
async function writeNdjsonLog(ctx: Context, rows: number, start: number): Promise<void> {
  const shifted = fraudRows(rows, 2, { amountScale: 2 });
  let lines: string[] = [];
  let objects = 0;
  for (let i = 0; i < rows; i += 100) {
    const time = new Date(start + (i / 100) * 60).toISOString();
    for (let k = 0; k < 100 && i + k < rows; k++) {
      const record = { request_id: `r${i / 100}`, index: k, model: 'fraud', model_version: 'v1', time, features: shifted.next().value!, prediction: { score: ((i + k) % 997) / 997, label: 0 } };
      lines.push(JSON.stringify(record));
    }
    if (lines.length >= 5000 || i + 100 >= rows) {
      const name = `${predictionObjectPrefix('fraud', time.slice(0, 10))}${time.replace(/[:.]/g, '')}-ndjson-${objects++}.ndjson`;
      await ctx.platform.objects.put(ctx.config.artifactsBucket, name, `${lines.join('\n')}\n`);
      lines = [];
    }
  }
}

async function setup(home: string, rows: number, format: Format): Promise<void> {
  let t = AT.getTime() - 20 * 3_600_000;
  const ctx = context(home, () => new Date(t));
  const reference = buildReference(trainingColumns(100_000, 1), Float64Array.from({ length: 15_000 }, (_, i) => (i % 100) / 100));
  await writeReference(ctx, 'fraud', 'v1', reference);
  await ctx.platform.docs.set(COLLECTIONS.models, 'fraud', { name: 'fraud', production_version: 'v1', previous_version: null, next_version: 2, updated_at: AT.toISOString() });
  await ctx.platform.docs.set(COLLECTIONS.versions, modelVersionId('fraud', 'v1'), { model: 'fraud', version: 'v1', metrics: { auc: 0.95 } });
  if (format === 'ndjson') {
    await writeNdjsonLog(ctx, rows, t);
    await ctx.platform.close();
    return;
  }
  const log = new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 3_600_000, maxBuffered: 5000 });
  const shifted = fraudRows(rows, 2, { amountScale: 2 });
  for (let i = 0; i < rows; i += 100) {
    const batch = [];
    for (let k = 0; k < 100 && i + k < rows; k++) batch.push(shifted.next().value!);
    log.record(`r${i / 100}`, 'fraud', 'v1', batch, batch.map((_, k) => ({ score: ((i + k) % 997) / 997, label: 0 })));
    t += 60;
    if (i % 5000 === 0) await log.flush();
  }
  await log.stop();
  await ctx.platform.close();
}

async function tick(home: string, rows: number, format: Format): Promise<void> {
  const ctx = context(home, () => AT);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const outcome = await monitorModel(ctx, 'fraud', AT, null);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuOf(process.cpuUsage(cpu));
  // the log read alone, every record visited and dropped: the part of the tick the format decides
  const reading = process.cpuUsage();
  let read = 0;
  await forEachPrediction(ctx, 'fraud', new Date(AT.getTime() - 86_400_000), AT, () => void read++);
  const readSeconds = cpuOf(process.cpuUsage(reading));
  if (outcome.outcome !== 'reported' || outcome.report.rows !== rows) throw new Error(`unexpected outcome ${JSON.stringify(outcome).slice(0, 300)}`);
  const line = {
    bench: 'drift',
    log: format,
    rows,
    features: outcome.report.features.length,
    seconds: +seconds.toFixed(2),
    // CPU time, which the machine's load disturbs less than the wall clock
    cpu_s: +cpuSeconds.toFixed(2),
    read_cpu_s: +readSeconds.toFixed(2),
    read_rows: read,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    dataset_drift: outcome.report.dataset_drift,
    load_avg: load(),
  };
  console.log(JSON.stringify(line));
  await ctx.platform.close();
}

/**
 * The statistics alone, on columns already in memory, and the same set the numpy/scipy reference runs:
 * KS, Wasserstein and PSI per numeric feature, chi-square, Jensen-Shannon and PSI for the categorical one.
 */
function statistics(rows: number): void {
  const reference = buildReference(trainingColumns(100_000, 1), null);
  const methods = (numeric: string, categorical: string) =>
    MonitoringSettings.parse({ features: Object.fromEntries([...NUMERIC.map((name) => [name, { method: numeric }]), ['type', { method: categorical }]]) });
  const runs = [methods('ks', 'chisquare'), methods('wasserstein', 'jensenshannon')];
  // Fresh columns per pass: a pass sorts its numeric columns in place.
  const windows = runs.map(() => trainingColumns(rows, 3));
  const started = performance.now();
  runs.forEach((settings, k) => compareToReference(reference, { rows, features: new Map(windows[k].map((c) => [c.name, c])), scores: null }, settings));
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ bench: 'drift-statistics', rows, features: windows[0].length, seconds: +seconds.toFixed(3), load_avg: load() }));
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'tick') return tick(args[1], Number(args[2]), args[3] as Format);
  // `setup <home> <rows> <format>`: only the log and the reference, to profile a tick on them (node --cpu-prof dist/bench/drift.js tick …)
  if (args[0] === 'setup') return setup(args[1], Number(args[2]), args[3] as Format);
  const pythonAt = args.indexOf('--python');
  const python = pythonAt >= 0 ? args.splice(pythonAt, 2)[1] : 'python3';
  const rows = Number(args[0] ?? 1_000_000);
  // the log as written today, then the same rows as NDJSON, the format before it
  for (const format of ['parquet', 'ndjson'] as const) {
    const home = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-drift-'));
    try {
      await setup(home, rows, format);
      const result = spawnSync(process.execPath, [process.argv[1], 'tick', home, String(rows), format], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
      if (result.status !== 0) throw new Error('the tick failed');
      process.stdout.write(result.stdout);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  statistics(100_000);
  const script = path.join(__dirname, '..', '..', 'bench', 'drift_reference.py');
  const reference = spawnSync(python, [script, '100000'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (reference.status === 0) process.stdout.write(reference.stdout);
  else console.error(`numpy/scipy reference not run (${python}: ${(reference.stderr || String(reference.error)).trim().split('\n').pop()}); try --python <interpreter with scipy>`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
