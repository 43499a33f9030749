import { loadConfig, type Config } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import type { Context } from '../shared/pipeline/context';
import { createPlatform } from '../shared/platform';

/**
 * The CLI works on the same ports as the stack: against MLOOP_HOME locally (safe while a stack runs:
 * SQLite in WAL mode, atomic object writes), or against Firestore and Cloud Storage with
 * MLOOP_PLATFORM=gcp.
 */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>, config: Config = loadConfig()): Promise<T> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { component: 'cli' });
  const ctx: Context = { config, log, platform: createPlatform(config, log) };
  try {
    return await fn(ctx);
  } finally {
    await ctx.platform.close();
  }
}
