import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';

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
