import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';
import type { Platform } from '../../shared/platform/ports';

/**
 * A silent local context on a temporary folder, for the child processes that measure one piece of work
 * in a process of its own; the folder is removed when `work` ends, however it ends.
 */
export async function withScratchContext<T>(prefix: string, work: (ctx: Context, home: string) => Promise<T>): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const ctx: Context = { config, log, platform: createPlatform(config, log) };
    try {
      return await work(ctx, home);
    } finally {
      await ctx.platform.close();
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

export interface EachTestOptions {
  /** Settings beside MLOOP_LOG_LEVEL=silent. */
  env?: Record<string, string>;
  /** A part of the platform replaced for the test (a clock, a recording job launcher). */
  platform?: (platform: Platform) => Platform;
}

/**
 * A fresh silent local context on a temporary folder for every test of the file: `use` receives it
 * (and may prepare it further) before each test; the platform is closed and the folder removed after.
 */
export function scratchContextEachTest(prefix: string, use: (ctx: Context, home: string) => void | Promise<void>, options: EachTestOptions = {}): void {
  let ctx: Context | undefined;
  let home = '';
  beforeEach(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', ...options.env });
    const platform = createPlatform(config);
    ctx = { config, log: createLogger('silent'), platform: options.platform ? options.platform(platform) : platform };
    await use(ctx, home);
  });
  afterEach(async () => {
    await ctx?.platform.close();
    ctx = undefined;
    fs.rmSync(home, { recursive: true, force: true });
  });
}
