import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../shared/core/config';
import { openDatabase, type Db } from '../../shared/platform/local/sqlite';
import { removeDir, tempDir, testConfig } from './support';

/** A fresh MLOOP_HOME with its database, for the local adapters. */
export interface LocalHome {
  home: string;
  db: Db;
  config: Config;
  /** Another handle on the same database, as another process would have. */
  openAgain(): Db;
  cleanup(): Promise<void>;
}

export function localHome(overrides: Record<string, string> = {}): LocalHome {
  const home = tempDir('mloop-home');
  const jobScript = writeTestJob(home);
  const config = testConfig(home, { MLOOP_JOB_SCRIPT: jobScript, ...overrides });
  const handles: Db[] = [];
  const open = () => {
    const db = openDatabase(home);
    handles.push(db);
    return db;
  };
  return {
    home,
    db: open(),
    config,
    openAgain: open,
    cleanup: async () => {
      for (const db of handles) if (db.open) db.close();
      removeDir(home);
    },
  };
}

// The job the launcher tests run; MLOOP_TEST_JOB says what it does (see JobLauncherFixture).
const TEST_JOB = `
const mode = process.env.MLOOP_TEST_JOB || 'exit:0';
const [kind, arg] = mode.split(':');
console.log(JSON.stringify({ pid: process.pid, mode }));
if (kind === 'exit') { console.error('exiting with ' + arg); process.exit(Number(arg)); }
if (kind === 'env') { console.log(JSON.stringify({ env: process.env })); process.exit(0); }
if (kind === 'sleep') setTimeout(() => process.exit(0), Number(arg));
if (kind === 'stubborn') { process.on('SIGTERM', () => console.log('ignoring SIGTERM')); setInterval(() => {}, 1000); }
if (kind === 'self-kill') process.kill(process.pid, 'SIGKILL');
`;

export function writeTestJob(home: string): string {
  const file = path.join(home, 'test-job.js');
  fs.writeFileSync(file, TEST_JOB);
  return file;
}
