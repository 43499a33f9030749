import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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
 * each), `load_1m`. `npm run bench:cold`.
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

async function main(): Promise<void> {
  const hello = path.join(WORK, 'hello.js');
  fs.writeFileSync(hello, "exports.hello = (req, res) => res.send('hello');\n");
  await measure('anchor: functions-framework hello', hello, 'hello', { method: 'GET', path: '/' }, 'http');
  for (const f of FUNCTIONS) {
    const source = path.join(ROOT, f.bundle);
    if (!fs.existsSync(source)) throw new Error(`${source} is missing: run node scripts/build.mjs first`);
    await measure(f.name, source, f.target, f.probe, f.probe.path === '/' ? 'cloudevent' : 'http', f.env);
  }
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(WORK, { recursive: true, force: true }));
