import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { createPlatform } from '../shared/platform';
import { installVersion } from '../shared/pipeline/usecases/install_version';
import { BIN, CLI, demoModel, instances, referenceVenv } from './serve_fixtures';

/**
 * Cold start of each deployed function: functions-framework started as a child process on that
 * function's own bundle (dist/functions/<name>.js, as Terraform deploys it), timed from the spawn to the
 * answer of its first event or request. Event functions get a Pub/Sub or storage CloudEvent whose
 * payload their handler refuses and acknowledges (so no cloud is needed, but the handler's code is
 * loaded and run); score (a revision serving nothing yet) gets its startup probe, `GET /v2/health/ready`;
 * dashboard `GET /api/registry`; all on the local
 * platform in a fresh state folder. Beside them, the anchor: a bare functions-framework hello function,
 * what any function pays; and the all-in-one bundle (dist/functions/index.js) as every function loaded
 * it before each had its own. One JSON line per function: bundle bytes, the median of RUNS starts (and
 * each), `load_1m`. Then the scoring server: `mloop serve` (2 workers, the demo gbdt model of bench:serve)
 * from spawn to its first successful score, from its own bundle (as bin/mloop.js starts it) and from the
 * whole CLI's, and the same for the anchor, FastAPI + uvicorn + onnxruntime with 2 workers
 * (bench/serve_reference.py, its venv built offline from /opt/pypi/files). `npm run bench:cold [serve]`
 * (serve: the servers only).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const FRAMEWORK = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const RUNS = Number(process.env.MLOOP_BENCH_RUNS ?? 5);
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-cold-'));

interface Probe {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const pubsubEvent = (): Probe => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/json', 'ce-id': 'bench-1', 'ce-specversion': '1.0', 'ce-source': '//bench/cold', 'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished' },
  // Valid JSON the handler's schema refuses: logged and acknowledged.
  body: JSON.stringify({ message: { data: Buffer.from('{}').toString('base64'), messageId: '1' } }),
});

const FUNCTIONS: Array<{ name: string; target: string; bundle: string; probe: Probe; env?: Record<string, string> }> = [
  {
    name: 'onDataUploaded',
    target: 'onDataUploaded',
    bundle: 'dist/functions/on_data_uploaded.js',
    probe: {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json', 'ce-id': 'bench-1', 'ce-specversion': '1.0', 'ce-source': '//bench/cold', 'ce-type': 'google.cloud.storage.object.v1.finalized' },
      body: JSON.stringify({ bucket: 'data' }),
    },
  },
  { name: 'onTrainingRequested', target: 'onTrainingRequested', bundle: 'dist/functions/on_training_requested.js', probe: pubsubEvent() },
  { name: 'onRunSlotFreed', target: 'onRunSlotFreed', bundle: 'dist/functions/on_run_slot_freed.js', probe: pubsubEvent() },
  { name: 'onTrainingCompleted', target: 'onTrainingCompleted', bundle: 'dist/functions/on_training_completed.js', probe: pubsubEvent() },
  { name: 'onMonitoringTick', target: 'onMonitoringTick', bundle: 'dist/functions/on_monitoring_tick.js', probe: { ...pubsubEvent(), body: JSON.stringify({ message: { data: Buffer.from('{"tick_id":7}').toString('base64') } }) } },
  { name: 'onDriftDetected', target: 'onDriftDetected', bundle: 'dist/functions/on_drift_detected.js', probe: pubsubEvent() },
  { name: 'onModelPromoted', target: 'onModelPromoted', bundle: 'dist/functions/on_model_promoted.js', probe: pubsubEvent() },
  // As the scoring service's first revision starts: serving nothing yet, ready once it has loaded that.
  { name: 'score', target: 'score', bundle: 'dist/functions/score.js', probe: { method: 'GET', path: '/v2/health/ready' }, env: { MLOOP_SERVED_MODELS: '' } },
  { name: 'dashboard', target: 'dashboard', bundle: 'dist/functions/dashboard.js', probe: { method: 'GET', path: '/api/registry' } },
  // Before: every function started from the one bundle that registered them all.
  { name: 'onDataUploaded (all-in-one bundle)', target: 'onDataUploaded', bundle: 'dist/functions/index.js', probe: { method: 'POST', path: '/', headers: { 'content-type': 'application/json', 'ce-id': 'bench-1', 'ce-specversion': '1.0', 'ce-source': '//bench/cold', 'ce-type': 'google.cloud.storage.object.v1.finalized' }, body: JSON.stringify({ bucket: 'data' }) } },
];

const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'cold', ...line, load_1m: +os.loadavg()[0].toFixed(2) }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Milliseconds from spawning functions-framework on `source` to the first answer to `probe` (any status below 500). */
async function coldStart(source: string, target: string, probe: Probe, signature: 'http' | 'cloudevent', env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(WORK, 'home-'));
  const started = performance.now();
  const child = spawn(process.execPath, [FRAMEWORK, `--target=${target}`, `--signature-type=${signature}`, `--source=${source}`, `--port=${port}`], {
    cwd: home,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${source} ${target} exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
      const status = await fetch(`http://127.0.0.1:${port}${probe.path}`, { method: probe.method, headers: probe.headers, body: probe.body }).then(
        (r) => r.status,
        () => 0,
      );
      if (status > 0 && status < 500) return performance.now() - started;
      if (status >= 500) throw new Error(`${source} ${target} answered ${status}: ${stderr.slice(-2000)}`);
      if (performance.now() - started > 60_000) throw new Error(`${source} ${target} did not answer within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await stop(child);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(name: string, source: string, target: string, probe: Probe, signature: 'http' | 'cloudevent', env: Record<string, string> = {}): Promise<void> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await coldStart(source, target, probe, signature, env));
  emit({ function: name, bundle: source.startsWith(ROOT) ? path.relative(ROOT, source) : path.basename(source), bundle_bytes: fs.statSync(source).size, ms: +median(runs).toFixed(1), runs_ms: runs.map((r) => +r.toFixed(1)) });
}

/** Milliseconds from spawning a server (its own process group) to its first 200 on POST `url`. */
async function firstScore(command: string, args: string[], env: NodeJS.ProcessEnv, url: string, body: string): Promise<number> {
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
      if (performance.now() - started > 60_000) throw new Error(`${command} ${args.join(' ')} did not score within 60 s`);
      const status = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        () => 0,
      );
      if (status === 200) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
}

/** `mloop serve` and the FastAPI anchor, each started RUNS times on the same model. */
async function servers(): Promise<void> {
  const model = demoModel();
  const home = fs.mkdtempSync(path.join(WORK, 'serve-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
  const ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  await installVersion(ctx, 'fraud', 'v1', model);
  await ctx.platform.close();
  const body = JSON.stringify({ instances: instances(model, 1) });
  const time = async (name: string, start: (port: number) => [string, string[], NodeJS.ProcessEnv]) => {
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const port = await freePort();
      const [command, args, env] = start(port);
      runs.push(await firstScore(command, args, env, `http://127.0.0.1:${port}/score/fraud`, body));
    }
    emit({ server: name, workers: 2, ms: +median(runs).toFixed(1), runs_ms: runs.map((r) => +r.toFixed(1)) });
  };
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn' };
  await time('mloop serve, first score', (port) => [process.execPath, [BIN, 'serve', '--port', String(port), '--workers', '2'], env]);
  await time('mloop serve from the whole CLI bundle (before)', (port) => [process.execPath, [CLI, 'serve', '--port', String(port), '--workers', '2'], env]);
  const python = referenceVenv();
  if (!python) {
    emit({ server: 'anchor: FastAPI + uvicorn + onnxruntime', skipped: 'no fastapi/uvicorn/onnxruntime wheels could be installed' });
    return;
  }
  await time('anchor: FastAPI + uvicorn + onnxruntime, first score', (port) => [
    python,
    ['-m', 'uvicorn', 'serve_reference:app', '--app-dir', path.join(ROOT, 'bench'), '--workers', '2', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning', '--no-access-log'],
    { PATH: process.env.PATH, HOME: process.env.HOME, MODEL_DIR: model },
  ]);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') return servers();
  const hello = path.join(WORK, 'hello.js');
  fs.writeFileSync(hello, "exports.hello = (req, res) => res.send('hello');\n");
  await measure('anchor: functions-framework hello', hello, 'hello', { method: 'GET', path: '/' }, 'http');
  for (const f of FUNCTIONS) {
    const source = path.join(ROOT, f.bundle);
    if (!fs.existsSync(source)) throw new Error(`${source} is missing: run node scripts/build.mjs first`);
    await measure(f.name, source, f.target, f.probe, f.probe.path === '/' ? 'cloudevent' : 'http', f.env);
  }
  await servers();
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(WORK, { recursive: true, force: true }));
