import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { configFor, type Config } from '../../shared/core/config';
import { MloopError, type ErrorCode } from '../../shared/core/errors';

const ROOT = path.resolve(__dirname, '..', '..');

export function tempDir(label = 'mloop-contract'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Short polls and backoffs, no logs: the suites stay fast and quiet. */
export function testConfig(home: string, overrides: Record<string, string> = {}): Config {
  return configFor(home, { MLOOP_POLL_MS: '20', MLOOP_LOG_LEVEL: 'silent', ...overrides });
}

export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls until `probe` returns something truthy, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Asserts that `promise` rejects with an MloopError of this code. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<MloopError> {
  const err = await promise.then(
    () => {
      throw new Error(`expected an error with code ${code}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MloopError);
  expect((err as MloopError).code).toBe(code);
  return err as MloopError;
}

const bundles = new Map<string, string>();

/**
 * Bundles a TypeScript helper from test/contract/helpers into plain JavaScript, so that tests can run
 * it as a second process against the same state.
 */
export function helperScript(name: string): string {
  const cached = bundles.get(name);
  if (cached) return cached;
  const outfile = path.join(tempDir('mloop-helper'), `${name}.js`);
  buildSync({
    entryPoints: [path.join(__dirname, 'helpers', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  bundles.set(name, outfile);
  return outfile;
}

export interface Helper {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first stdout line matching `pattern`. */
  line: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function runHelper(name: string, args: string[]): Helper {
  const child = spawn(process.execPath, [helperScript(name), ...args], {
    // The bundle lives in a temp folder; its packages resolve from this repository.
    env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    line: (pattern, timeoutMs = 10_000) => waitFor(() => out.match(pattern), `${name} to print ${pattern}\n${out}`, timeoutMs),
    exited,
  };
}
