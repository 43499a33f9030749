import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as ort from 'onnxruntime-node';
import { configFor } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { encodeRecords } from '../shared/data/encoding';
import { openScorer } from '../shared/pipeline/artifacts/model_files';
import type { Context } from '../shared/pipeline/context';
import { createPlatform } from '../shared/platform';
import { installVersion } from '../shared/pipeline/usecases/install_version';
import { PredictionLog } from '../shared/serving/prediction_log';
import { httpLoad, wrkLoad, type LoadResult } from './http_load';
import { BIN, demoModel, instances, referenceVenv, ROOT, WHEELS, WORK, type Row } from './serve_fixtures';

/**
 * Scoring speed of the demo gbdt model (300 trees, trained by `mloop train` on `mloop generate` data):
 * in process (the scorer mloop serves with: validation, encoding, onnxruntime, the prediction objects),
 * raw onnxruntime for scale, and over HTTP on 127.0.0.1 against `mloop serve` (one worker per core), with
 * wrk (when installed; else bench/http_load.ts) as the load tool, and the same against a FastAPI + uvicorn + onnxruntime service with two
 * workers serving the same model (built offline into a venv from MLOOP_BENCH_WHEELS, default
 * /opt/pypi/files; skipped, and said so, when it cannot be). Also the cold start of `mloop serve`: from
 * spawning the process to its first successful score. `npm run bench:serve [mloop|fastapi|log|c32]` (log: the
 * prediction log's CPU cost alone; c32: only the concurrency-32 loads, log on/off and FastAPI); one JSON line per
 * measurement; at concurrency 32 the server with the log on and one with it off take turns (MLOOP_BENCH_TURNS, 2),
 * and a `prediction_log_http` line gives their medians and the share of throughput the log keeps.
 * The load tool runs on the same two cores as the server: every HTTP number is a
 * measurement of both, and each line says how many cores the tool itself used (`load_tool_cores`). `load_1m` is the machine's load average when the measurement started.
 */
const SECONDS = Number(process.env.MLOOP_BENCH_SECONDS ?? 10);
/** A folder for CPU profiles of the mloop servers (`--cpu-prof`), one subfolder per log setting. */
const PROFILE = process.env.MLOOP_BENCH_PROFILE;
/** Turns of log on then log off at concurrency 32; on a busy machine more, shorter ones are steadier. */
const TURNS = Number(process.env.MLOOP_BENCH_TURNS ?? 2);
/** Only the loads of this many rows per request (1 or 100), at concurrency 32. */
const ROWS = Number(process.env.MLOOP_BENCH_ROWS ?? 0);
/** The prediction log's settings, when given, reach the servers too. */
const passedOn = (...names: string[]) => Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]]));
/**
 * The load tool: wrk when it is installed (the least CPU per request, so the most of the two cores left
 * to the server measured; bench/http_load.ts says why that matters here), else bench/http_load.ts;
 * MLOOP_BENCH_LOAD_TOOL=wrk|http_load|autocannon picks one (autocannon: what the bench used before).
 */
let chosenTool: 'wrk' | 'http_load' | 'autocannon' | undefined;
function loadTool(): 'wrk' | 'http_load' | 'autocannon' {
  if (chosenTool) return chosenTool;
  const asked = process.env.MLOOP_BENCH_LOAD_TOOL;
  if (asked === 'wrk' || asked === 'http_load' || asked === 'autocannon') return (chosenTool = asked);
  return (chosenTool = spawnSync('wrk', ['--version']).error ? 'http_load' : 'wrk');
}


const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ ...line, load_1m: +os.loadavg()[0].toFixed(2) }));
const round = (v: number, digits = 3) => +v.toFixed(digits);

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

async function inProcess(ctx: Context, rows: Row[]): Promise<void> {
  const scorer = await openScorer(ctx, 'fraud', 'v1');
  const single = async (calls: number) => {
    const times = new Float64Array(calls);
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      const result = await scorer.predict([rows[i % rows.length]]);
      times[i] = performance.now() - started;
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
    }
    return times.sort();
  };
  await single(5_000);
  const times = await single(50_000);
  emit({ bench: 'in_process', engine: scorer.engine, rows_per_call: 1, calls: times.length, p50_ms: round(quantile(times, 0.5), 4), p99_ms: round(quantile(times, 0.99), 4) });

  const batch = rows.slice(0, 1000);
  await scorer.predict(batch);
  let scored = 0;
  const started = performance.now();
  while (performance.now() - started < 3000) {
    await scorer.predict(batch);
    scored += batch.length;
  }
  emit({ bench: 'in_process', engine: scorer.engine, rows_per_call: 1000, rows_per_s: Math.round(scored / ((performance.now() - started) / 1000)) });

  // What the model itself costs: one pre-encoded row straight into onnxruntime.
  const session = await ort.InferenceSession.create(readFileSync(path.join(WORK, 'gbdt', 'model.onnx')), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const x = encodeRecords([rows[0]], scorer.manifest.features);
  const raw = new Float64Array(50_000);
  for (let i = 0; i < 5_000; i++) await session.run({ [scorer.manifest.input.name]: new ort.Tensor('float32', x, [1, x.length]) });
  for (let i = 0; i < raw.length; i++) {
    const t = performance.now();
    await session.run({ [scorer.manifest.input.name]: new ort.Tensor('float32', x, [1, x.length]) });
    raw[i] = performance.now() - t;
  }
  raw.sort();
  emit({ bench: 'raw_onnxruntime', rows_per_call: 1, p50_ms: round(quantile(raw, 0.5), 4), p99_ms: round(quantile(raw, 0.99), 4) });
  await session.release();
  await scorer.release();
}

/**
 * What the prediction log costs a process, in CPU time per logged row (user + system, this process and
 * its I/O threads: the number load on the machine disturbs least): the log as mloop writes it, and the
 * NDJSON serialisation it replaced, on the same rows, both writing 5 000-row objects to the local store;
 * `none` is the loop without a log, the floor under both.
 */
async function logCost(ctx: Context, rows: Row[]): Promise<void> {
  const total = 300_000;
  // as a server has them: parsed from a request body
  rows = JSON.parse(JSON.stringify(rows)) as Row[];
  const predictions = rows.map((_, i) => ({ score: (i % 997) / 997, label: 0 }));
  const writers = {
    // the loop alone, for the floor the two writers' lines sit on
    none: () => ({ record: (..._: unknown[]) => {}, stop: async () => {} }),
    parquet: () => new PredictionLog(ctx, { sampleRate: 1, flushEveryMs: 3_600_000, maxBuffered: 5000 }),
    'ndjson (before)': () => new NdjsonLog(ctx),
  };
  for (const rowsPerRequest of [1, 100]) {
    const requests = Array.from({ length: 64 }, (_, k) => {
      const at = (k * rowsPerRequest) % (rows.length - rowsPerRequest);
      return { instances: rows.slice(at, at + rowsPerRequest), predictions: predictions.slice(at, at + rowsPerRequest) };
    });
    const pass = async (make: () => Pick<PredictionLog, 'record' | 'stop'>, rows: number) => {
      const log = make();
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < rows / rowsPerRequest; i++) {
        const { instances, predictions: scored } = requests[i % requests.length];
        log.record(`r${i}`, 'logcost', 'v1', instances, scored);
        // a server turns its event loop between requests: that is when a full buffer gets written
        if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
      }
      await log.stop();
      const used = process.cpuUsage(cpu);
      return { cpu: (used.user + used.system) / 1e6, wall: (performance.now() - started) / 1000 };
    };
    for (const [writer, make] of Object.entries(writers)) {
      await pass(make, total / 10); // compiled before it is timed
      const { cpu, wall } = await pass(make, total);
      emit({ bench: 'prediction_log', writer, rows_per_request: rowsPerRequest, rows: total, cpu_us_per_row: round((cpu * 1e6) / total, 2), wall_s: round(wall, 2) });
    }
  }
}

/** The writer before the Parquet batches, for the anchor: one JSON line per instance, serialised in record(). */
class NdjsonLog {
  private bytes = Buffer.allocUnsafe(1024 * 1024);
  private length = 0;
  private lines = 0;
  private sequence = 0;
  private writes: Promise<unknown>[] = [];

  constructor(private readonly ctx: Context) {}

  record(requestId: string, model: string, version: string, instances: unknown[], predictions: unknown[]): void {
    const time = new Date().toISOString();
    const head = `{"request_id":${JSON.stringify(requestId)},"index":`;
    const middle = `,"model":${JSON.stringify(model)},"model_version":${JSON.stringify(version)},"time":"${time}","features":`;
    for (let i = 0; i < instances.length; i++) {
      const line = `${head}${i}${middle}${JSON.stringify(instances[i])},"prediction":${JSON.stringify(predictions[i])}}\n`;
      if (this.length + line.length * 3 > this.bytes.length) {
        const grown = Buffer.allocUnsafe(this.bytes.length * 2 + line.length * 3);
        this.bytes.copy(grown, 0, 0, this.length);
        this.bytes = grown;
      }
      this.length += this.bytes.write(line, this.length);
    }
    this.lines += instances.length;
    if (this.lines >= 5000) this.flush();
  }

  private flush(): void {
    if (this.lines === 0) return;
    const name = `predictions/dt=2026-01-01/model=logcost-ndjson/${this.sequence++}.ndjson`;
    this.writes.push(this.ctx.platform.objects.put(this.ctx.config.artifactsBucket, name, Buffer.from(this.bytes.subarray(0, this.length))));
    this.length = 0;
    this.lines = 0;
  }

  async stop(): Promise<void> {
    this.flush();
    await Promise.all(this.writes);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a server and resolves with the milliseconds from spawn to its first successful score. */
async function startServer(command: string, args: string[], env: NodeJS.ProcessEnv, url: string, body: string): Promise<{ child: ChildProcess; coldMs: number }> {
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited ${child.exitCode}`);
    if (performance.now() - started > 60_000) {
      await stop(child);
      throw new Error(`${command} ${args.join(' ')} did not score within a minute`);
    }
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      if (response.status === 200) return { child, coldMs: performance.now() - started };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
}

interface HttpLine {
  requests_per_s: number;
  p99_ms: number;
}

async function load(server: string, url: string, rows: Row[], rowsPerRequest: number, connections: number, extra: Record<string, unknown> = {}): Promise<HttpLine> {
  const bodies = Array.from({ length: 16 }, (_, k) => JSON.stringify({ instances: Array.from({ length: rowsPerRequest }, (_, i) => rows[(k * rowsPerRequest + i) % rows.length]) }));
  const tool = loadTool();
  const run = async (seconds: number): Promise<LoadResult & { p50_ms?: number; p99_ms?: number; tool_cpu_s?: number }> => {
    if (tool === 'wrk') return wrkLoad(url, bodies, connections, seconds)!;
    if (tool === 'autocannon') return autocannonLoad(url, bodies, connections, seconds);
    return httpLoad(url, bodies, connections, seconds);
  };
  await run(2);
  const load1 = os.loadavg()[0];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await run(SECONDS);
  const used = process.cpuUsage(cpu);
  // the load tool's share of the two cores: what the servers could not have
  const toolCores = ((result.tool_cpu_s ?? 0) * 1e6 + used.user + used.system) / 1000 / (performance.now() - started);
  const sorted = Float64Array.from(result.latencies).sort();
  const rps = result.requests / result.seconds;
  const line = {
    bench: 'http',
    server,
    rows_per_request: rowsPerRequest,
    concurrency: connections,
    requests_per_s: Math.round(rps),
    rows_per_s: Math.round(rps * rowsPerRequest),
    p50_ms: round(result.p50_ms ?? quantile(sorted, 0.5)),
    p99_ms: round(result.p99_ms ?? quantile(sorted, 0.99)),
    errors: result.errors + result.non2xx,
    load_tool: tool,
    load_tool_cores: round(toolCores, 2),
    ...extra,
    load_1m: +load1.toFixed(2),
  };
  console.log(JSON.stringify(line));
  return line;
}

/** autocannon, as the bench used before bench/http_load.ts: for comparing the two tools. */
async function autocannonLoad(url: string, bodies: string[], connections: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const options = { url, method: 'POST' as const, headers: { 'content-type': 'application/json' }, connections, pipelining: 1, requests: bodies.map((body) => ({ body })), duration: seconds };
    const instance = autocannon(options, (err, done) => (err ? reject(err) : resolve(done)));
    // autocannon's own histogram keeps whole milliseconds; the response event has the exact time.
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
  return { requests: result.requests.total, errors: result.errors + result.timeouts, non2xx: result.non2xx, seconds: result.duration || seconds, latencies: Float64Array.from(latencies) };
}

const LOADS: Array<[number, number]> = [
  [1, 1],
  [1, 32],
  [100, 1],
  [100, 32],
];

/**
 * `mloop serve` as deployed: every request written to the prediction log. Then the concurrent runs again
 * with the log off, which is what the reference does (it logs nothing).
 */
async function mloopHttp(home: string, rows: Row[], concurrentOnly: boolean): Promise<void> {
  const body = JSON.stringify({ instances: [rows[0]] });
  const workers = String(os.availableParallelism());
  const start = async (sample: string) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/score/fraud`;
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn', MLOOP_PREDICTION_SAMPLE: sample, ...passedOn('MLOOP_PREDICTION_MAX_BUFFER', 'MLOOP_PREDICTION_FLUSH_MS') };
    // a CPU profile of every server process (the workers inherit the primary's flags), written when it stops
    const profile = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE, sample === '0' ? 'log-off' : 'log-on')}`] : [];
    return { url, ...(await startServer(process.execPath, [...profile, BIN, 'serve', '--port', String(port), '--workers', workers], env, url, body)) };
  };
  const colds: number[] = [];
  let server: Awaited<ReturnType<typeof start>> | undefined;
  for (let i = 0; i < (concurrentOnly ? 1 : 3); i++) {
    if (server) await stop(server.child);
    server = await start('1');
    colds.push(server.coldMs);
  }
  colds.sort((a, b) => a - b);
  if (!concurrentOnly) emit({ bench: 'cold_start', server: 'mloop', workers: Number(workers), ms: Math.round(colds[1]), runs_ms: colds.map(Math.round) });
  for (const [rowsPerRequest, connections] of LOADS.filter(([, c]) => c === 1 && !concurrentOnly)) await load('mloop', server!.url, rows, rowsPerRequest, connections, { prediction_log: 'every request' });
  // log on and log off in turns, both servers up, so that what the machine's other work does falls on both alike
  const quiet = await start('0');
  for (const [rowsPerRequest, connections] of LOADS.filter(([r, c]) => c > 1 && (!ROWS || ROWS === r))) {
    const on: HttpLine[] = [];
    const off: HttpLine[] = [];
    for (let turn = 0; turn < TURNS; turn++) {
      on.push(await load('mloop', server!.url, rows, rowsPerRequest, connections, { prediction_log: 'every request', turn }));
      off.push(await load('mloop', quiet.url, rows, rowsPerRequest, connections, { prediction_log: 'off', turn }));
    }
    const mid = (lines: HttpLine[], key: 'requests_per_s' | 'p99_ms') => median(lines.map((l) => l[key]));
    emit({
      bench: 'prediction_log_http',
      rows_per_request: rowsPerRequest,
      concurrency: connections,
      requests_per_s: { on: mid(on, 'requests_per_s'), off: mid(off, 'requests_per_s') },
      p99_ms: { on: mid(on, 'p99_ms'), off: mid(off, 'p99_ms') },
      kept: round(mid(on, 'requests_per_s') / mid(off, 'requests_per_s'), 3),
      // each turn's on against the off right after it: what the machine's other work did to both alike cancels
      kept_by_turn: round(median(on.map((l, i) => l.requests_per_s / off[i].requests_per_s)), 3),
      turns: TURNS,
    });
  }
  await stop(server!.child);
  await stop(quiet.child);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length / 2;
  return Number.isInteger(half) ? (sorted[half - 1] + sorted[half]) / 2 : sorted[Math.floor(half)];
};

async function fastapiHttp(model: string, rows: Row[], concurrentOnly: boolean): Promise<void> {
  const python = referenceVenv();
  if (!python) {
    emit({ bench: 'http', server: 'fastapi', skipped: `no fastapi/uvicorn/onnxruntime wheels could be installed from ${WHEELS}` });
    return;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/score/fraud`;
  const args = ['-m', 'uvicorn', 'serve_reference:app', '--app-dir', path.join(ROOT, 'bench'), '--workers', '2', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning', '--no-access-log'];
  const { child, coldMs } = await startServer(python, args, { PATH: process.env.PATH, HOME: process.env.HOME, MODEL_DIR: model }, url, JSON.stringify({ instances: [rows[0]] }));
  emit({ bench: 'cold_start', server: 'fastapi', workers: 2, ms: Math.round(coldMs) });
  for (const [rowsPerRequest, connections] of LOADS.filter(([, c]) => c > 1 || !concurrentOnly)) await load('fastapi', url, rows, rowsPerRequest, connections);
  await stop(child);
}

async function main() {
  mkdirSync(WORK, { recursive: true });
  const model = demoModel();
  const home = path.join(WORK, 'home');
  rmSync(home, { recursive: true, force: true });
  const config = configFor(home);
  const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  await installVersion(ctx, 'fraud', 'v1', model);
  const manifest = JSON.parse(readFileSync(path.join(model, 'manifest.json'), 'utf8')) as { trainer?: { trees?: number }; metrics: { auc: number } };
  emit({ bench: 'model', algorithm: 'gbdt', onnx_bytes: readFileSync(path.join(model, 'model.onnx')).length, auc: round(manifest.metrics.auc, 4), cpus: os.availableParallelism() });
  const rows = instances(model, 5000);
  const only = process.argv[2];
  const concurrentOnly = only === 'c32';
  if (only !== 'log' && !concurrentOnly) await inProcess(ctx, rows);
  if (!concurrentOnly) await logCost(ctx, rows);
  await ctx.platform.close();
  if (only === 'log') return;
  if (only !== 'fastapi') await mloopHttp(home, rows, concurrentOnly);
  if (only !== 'mloop') await fastapiHttp(model, rows, concurrentOnly);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
