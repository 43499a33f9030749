import type { ChildProcess } from 'node:child_process';

/** SIGKILL to a detached child's whole process group: its jobs and workers go with it. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  await exited;
}

const running = new Set<ChildProcess>();

/** Remembers a detached child until it exits, for killLeftovers. */
export function trackUntilExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * What a test file started and a failed expectation left running: without this a detached stack
 * outlives the run, holding its port and its CPU. Jest's setupFilesAfterEnv runs it after each file,
 * before the file's own afterAll hooks (hooks run in the order declared), so a stack a file meant to
 * stop gracefully in afterAll is killed here instead: nothing asserts on those stops.
 */
export async function killLeftovers(): Promise<void> {
  await Promise.all([...running].map((child) => killGroup(child)));
}
