import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { killGroup, trackUntilExit } from '../support/process_groups';

export { killGroup };

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'mloop.js');

if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);

export function tempHome(prefix = 'mloop-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function stackEnv(home: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    MLOOP_HOME: home,
    PORT: String(port),
    MLOOP_LOG_LEVEL: 'info',
    MLOOP_POLL_MS: '50',
    MLOOP_RECONCILE_MS: '500',
    ...extra,
  };
}

/** Runs the CLI to completion; throws with its output when it fails. */
export function cli(args: string[], env: NodeJS.ProcessEnv): { stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`mloop ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

export function cliJson<T>(args: string[], env: NodeJS.ProcessEnv): T {
  const { stdout } = cli([...args, '--json'], env);
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** `mloop up` as the leader of its own process group, so that kill -9 takes its jobs down too. */
export function startUp(env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, 'up'], { env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  trackUntilExit(child);
  return child;
}

/**
 * `mloop serve --workers 2` on `home`, in a process group of its own (stop it with killGroup), resolved
 * with its URL once it says it listens.
 */
export async function startServe(home: string, extra: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn', ...extra };
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--workers', '2'], { env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  trackUntilExit(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /mloop serve on (http:\/\/\S+) \(2 workers\)/.exec(out);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`mloop serve exited with ${code}: ${out}`)));
  });
  return { child, url };
}

export async function stopGracefully(child: ChildProcess, timeoutMs = 15_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

export async function until<T>(what: string, probe: () => Promise<T | null | undefined> | T | null | undefined, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
