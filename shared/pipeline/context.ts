import type { Config } from '../core/config';
import type { Logger } from '../core/log';
import type { Platform } from '../platform/ports';

/** What every use-case receives: the ports, the parsed configuration and a logger. */
export interface Context {
  platform: Platform;
  config: Config;
  log: Logger;
}
