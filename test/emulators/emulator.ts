import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Google's Pub/Sub and Firestore emulators, as the Google Cloud CLI starts them. gcloud starts a Java
 * process of its own, so each emulator runs as the leader of a new process group and is stopped by
 * signalling the whole group: killing gcloud alone would leave the Java process running.
 */
export type EmulatorKind = 'pubsub' | 'firestore';

export interface RunningEmulator {
  kind: EmulatorKind;
  host: string;
  pgid: number;
  logFile: string;
}

const COMMANDS: Record<EmulatorKind, string[]> = {
  pubsub: ['beta', 'emulators', 'pubsub', 'start'],
  firestore: ['emulators', 'firestore', 'start'],
};

const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 5_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port is only free until someone binds it: the two emulators start side by side and each binds
 * ports of its own choosing besides ours (the Firestore emulator's WebSocket server), so a start that
 * lost its port to the other is tried again on a new one.
 */
export async function startEmulator(kind: EmulatorKind, attempts = 3): Promise<RunningEmulator> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(kind);
    } catch (err) {
      if (attempt >= attempts || !/\(Address already in use\)/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(kind: EmulatorKind): Promise<RunningEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `mloop-${kind}-emulator-`)), 'emulator.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn('gcloud', [...COMMANDS[kind], `--host-port=${host}`, '--quiet'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      // A small heap and one GC thread: the machine's two cores are shared with the tests.
      JAVA_TOOL_OPTIONS: '-Xmx768m -XX:+UseSerialGC',
    },
  });
  fs.closeSync(log);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not run gcloud: ${err.message}`));
    child.once('exit', (code, signal) => resolve(`gcloud exited (${signal ?? code})`));
  });
  const emulator: RunningEmulator = { kind, host, pgid: child.pid!, logFile };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (await answers(host)) return emulator;
    const early = await Promise.race([exited, sleep(200).then(() => null)]);
    if (early || Date.now() > deadline) {
      if (!early) await stopEmulator(emulator);
      const portTaken = early && /Address already in use|BindException/.test(readLog(logFile)) ? ' (Address already in use)' : '';
      const reason = early ? `${early}${portTaken}` : `no answer on ${host} after ${START_TIMEOUT_MS / 1000} s`;
      throw new Error(`the ${kind} emulator did not start: ${reason}\n${tail(logFile)}`);
    }
  }
}

/** SIGTERM to the emulator's process group, then SIGKILL to whatever is left of it. */
export async function stopEmulator(emulator: RunningEmulator): Promise<void> {
  signalGroup(emulator.pgid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!groupAlive(emulator.pgid)) return;
    await sleep(100);
  }
  signalGroup(emulator.pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Whether a process of the group still runs. Zombies do not count: the Java process is orphaned when
 * gcloud exits, and in a container nobody may ever reap it.
 */
function groupAlive(pgid: number): boolean {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return pids.some((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z';
    } catch {
      return false;
    }
  });
}

async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

function readLog(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
