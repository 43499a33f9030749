import fs from 'node:fs';

/**
 * Whether a process with this pid still runs on this machine. EPERM means it exists but is not ours.
 * A zombie counts as gone: an orphan that exited waits for its reaper, and in a container that may be
 * never.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS), or it just went away
  }
}
