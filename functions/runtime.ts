import { loadConfig } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import type { Context } from '../shared/pipeline/context';
import { createPlatform } from '../shared/platform';

let shared: Context | undefined;

/** One context per function instance, built on first use from the deployment's configuration. */
export function functionContext(): Context {
  if (!shared) {
    const config = loadConfig();
    const log = createLogger(config.logLevel, { component: 'functions' });
    shared = { config, log, platform: createPlatform(config, log) };
  }
  return shared;
}
