import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { configFor } from '../shared/core/config';
import { writeFraudCsv } from '../shared/data/synthetic';
import { LocalEventBus } from '../shared/platform/local/event_bus';
import { openDatabase } from '../shared/platform/local/sqlite';

/**
 * `npm run bench:load`: the local stack under load. (1) Scoring at concurrency 64 for
 * MLOOP_BENCH_SECONDS (60) against `mloop up`, with a model promotion half-way: errors and non-2xx
 * must be zero across the swap, and the latency quantiles are reported. (2) MLOOP_BENCH_EVENTS (10 000)
 * events published to the SQLite queue and consumed by a subscriber: throughput, and every id
 * delivered. One JSON line per measurement; the load tool shares the machine with the server.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'mloop.js');
const SECONDS = Number(process.env.MLOOP_BENCH_SECONDS ?? 60);
const EVENTS = Number(process.env.MLOOP_BENCH_EVENTS ?? 10_000);
const INSTANCE = { step: 1, type: 'TRANSFER', amount: 181, nameOrig: 'C1', oldbalanceOrg: 181, newbalanceOrig: 0, nameDest: 'C2', oldbalanceDest: 0, newbalanceDest: 0 };

const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ ...line, load_1m: +os.loadavg()[0].toFixed(2) }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mloop(env: NodeJS.ProcessEnv, args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mloop ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

function models(env: NodeJS.ProcessEnv): Array<{ version: string; stage: string }> {
  const lines = mloop(env, ['models', '--json']).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function scoringUnderPromotion(home: string): Promise<void> {
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, PORT: String(port), MLOOP_LOG_LEVEL: 'warn', MLOOP_TRAIN_EPOCHS: '3', MLOOP_PREDICTION_SAMPLE: '0' };
  mkdirSync(home, { recursive: true });
  const out = openSync(path.join(home, 'up.log'), 'a');
  const up: ChildProcess = spawn(process.execPath, [CLI, 'up'], { env, stdio: ['ignore', out, out] });
  try {
    await waitFor('the stack', () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok));
    for (const [name, seed] of [['a.csv', 61], ['b.csv', 62]] as const) {
      const csv = path.join(home, name);
      await writeFraudCsv(csv, { rows: 5000, seed });
      mloop(env, ['push', csv, '--model', 'fraud']);
    }
    // Two versions decided, one in production: the other is the one promoted under load.
    const settled = await waitFor('two decided versions', () => {
      const all = models(env);
      return all.length === 2 && all.some((m) => m.stage === 'production') ? all : undefined;
    });
    const before = settled.find((m) => m.stage === 'production')!.version;
    const next = settled.find((m) => m.stage !== 'production')!.version;

    const body = JSON.stringify({ instances: [INSTANCE] });
    const load = autocannon({
      url: `http://127.0.0.1:${port}/score/fraud`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: 64,
      duration: SECONDS,
    });
    await sleep((SECONDS * 1000) / 2);
    const promotedAt = Date.now();
    mloop(env, ['models', 'promote', next, '--reason', 'bench:load promotion under load']);
    const result = await load;
    const after = (await (await fetch(`http://127.0.0.1:${port}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { model_version: string };
    emit({
      bench: 'load_scoring',
      connections: 64,
      seconds: SECONDS,
      requests: result.requests.total,
      rps: result.requests.average,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      max_ms: result.latency.max,
      promoted: { from: before, to: next, at_s: +((promotedAt - result.start.getTime()) / 1000).toFixed(1), serving_after: after.model_version },
    });
    if (result.errors + result.timeouts + result.non2xx > 0 || after.model_version !== next) process.exitCode = 1;
  } finally {
    up.kill('SIGINT');
    await new Promise((resolve) => up.once('exit', resolve));
  }
}

async function queueThroughput(home: string): Promise<void> {
  const db = openDatabase(home);
  const bus = new LocalEventBus(db, configFor(home, { MLOOP_POLL_MS: '20', MLOOP_LOG_LEVEL: 'silent' }));
  await bus.ensureSubscription('bench-events', 'bench-consumer');
  const received = new Set<string>();
  let duplicates = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  const subscription = await bus.subscribe('bench-consumer', async (message) => {
    const { n } = message.data as { n: number };
    if (received.has(String(n))) duplicates++;
    received.add(String(n));
    if (received.size === EVENTS) done();
  });
  for (let n = 0; n < EVENTS; n++) await bus.publish('bench-events', { n, at: Date.now() });
  const published = performance.now();
  await all;
  const consumed = performance.now();
  await subscription.close();
  const dead = await bus.deadLetters('bench-consumer');
  await bus.close();
  db.close();
  emit({
    bench: 'load_queue',
    events: EVENTS,
    delivered: received.size,
    lost: EVENTS - received.size,
    duplicates,
    dead_letters: dead.length,
    publish_per_s: Math.round(EVENTS / ((published - started) / 1000)),
    end_to_end_per_s: Math.round(EVENTS / ((consumed - started) / 1000)),
    seconds: +((consumed - started) / 1000).toFixed(2),
  });
  if (received.size !== EVENTS || dead.length > 0) process.exitCode = 1;
}

async function main(): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-load-'));
  try {
    await queueThroughput(path.join(home, 'queue'));
    await scoringUnderPromotion(path.join(home, 'stack'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
