import fs from 'node:fs';
import path from 'node:path';
import { MloopError } from '../../core/errors';
import { isAlive } from './pids';

/**
 * One `mloop up` per MLOOP_HOME: two stacks dispatching the same queue and launching the same jobs
 * would fight. The lock is a pid file created exclusively; a pid file left by a killed stack is taken
 * over, since its process no longer exists.
 */
export function acquireInstanceLock(home: string): { release(): void } {
  fs.mkdirSync(home, { recursive: true });
  const file = path.join(home, 'up.pid');
  for (let tries = 0; tries < 3; tries++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return {
        release: () => {
          if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(file);
      if (holder !== null && holder !== process.pid && isAlive(holder)) {
        throw new MloopError('failed_precondition', `a stack already runs for ${home} (pid ${holder}); stop it first or set MLOOP_HOME`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new MloopError('unavailable', `could not take the lock ${file}`);
}

export function runningStackPid(home: string): number | null {
  const pid = readPid(path.join(home, 'up.pid'));
  return pid !== null && isAlive(pid) ? pid : null;
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}
