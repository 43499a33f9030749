import type { Config } from '../core/config';
import { invalid } from '../core/errors';
import { createLogger, type Logger } from '../core/log';
import type { Platform } from './ports';

interface PlatformKind {
  name: Config['platform'];
  /** The storage URIs this platform owns, as MLflow picks an artifact repository by scheme. */
  owns(storage: string): boolean;
  /** Loaded on demand: the Google Cloud SDKs take half a second to load, which a local stack is spared. */
  load(): (config: Config, logger: Logger) => Platform;
}

const PLATFORMS: readonly PlatformKind[] = [
  {
    name: 'gcp',
    owns: (storage) => storage.startsWith('gs://'),
    load: () => (require('./gcp/platform') as typeof import('./gcp/platform')).createGcpPlatform,
  },
  {
    name: 'local',
    owns: (storage) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(storage),
    load: () => (require('./local/platform') as typeof import('./local/platform')).createLocalPlatform,
  },
];

/** The platform a storage URI belongs to (`gs://…` Google Cloud, a folder local), or null for none. */
export function platformForStorage(storage: string): Config['platform'] | null {
  return PLATFORMS.find((kind) => kind.owns(storage))?.name ?? null;
}

/**
 * The adapters named by the configuration, picked once at start-up: `MLOOP_PLATFORM` when set, else
 * the scheme of `MLOOP_STORAGE`. A storage URI the chosen platform cannot reach is refused here rather
 * than at the first write.
 */
export function createPlatform(config: Config, logger: Logger = createLogger(config.logLevel, { component: 'platform' })): Platform {
  const kind = PLATFORMS.find((candidate) => candidate.name === config.platform);
  if (!kind) throw invalid(`MLOOP_PLATFORM=${config.platform} is not a platform (one of ${PLATFORMS.map((p) => p.name).join(', ')})`);
  if (kind.name === 'local' && !kind.owns(config.storage)) {
    throw invalid(`MLOOP_STORAGE=${config.storage} is not a local folder, but MLOOP_PLATFORM is local; unset one of them`);
  }
  return kind.load()(config, logger);
}
