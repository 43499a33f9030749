import type { Config } from '../core/config';
import { MloopError, invalid } from '../core/errors';
import { createLogger, type Logger } from '../core/log';
import { BucketWatcher } from './local/bucket_watcher';
import { systemClock } from './local/clock';
import { LocalDocumentStore } from './local/document_store';
import { LocalEventBus } from './local/event_bus';
import { LocalJobLauncher } from './local/job_launcher';
import { LocalObjectStore } from './local/object_store';
import { LocalServiceDeployer } from './local/service_deployer';
import { openDatabase, type Db } from './local/sqlite';
import type { Platform } from './ports';

export type { BucketWatcher } from './local/bucket_watcher';
export { LocalEventBus, type QueueStats } from './local/event_bus';

interface LocalParts {
  db: Db;
  logger: Logger;
  watchers: Set<BucketWatcher>;
}

// What the local wiring needs beyond the ports, kept off the Platform object itself.
const localParts = new WeakMap<Platform, LocalParts>();

/**
 * The adapters named by the configuration, picked once at start-up. Locally they share one SQLite
 * handle on `<home>/mloop.db`; other processes of the same stack open their own.
 */
export function createPlatform(config: Config, logger: Logger = createLogger(config.logLevel, { component: 'platform' })): Platform {
  if (config.platform === 'gcp') {
    // Loaded only here: the Google Cloud SDKs take half a second to load, which a local stack and
    // every local CLI call are spared.
    const { createGcpPlatform } = require('./gcp/platform') as typeof import('./gcp/platform');
    return createGcpPlatform(config, logger);
  }
  if (config.storage.startsWith('gs://')) {
    throw invalid(`MLOOP_STORAGE=${config.storage} is Cloud Storage, but MLOOP_PLATFORM is local; unset one of them`);
  }
  const db = openDatabase(config.home);
  const bus = new LocalEventBus(db, config, logger);
  const jobs = new LocalJobLauncher(db, config, logger);
  const watchers = new Set<BucketWatcher>();
  let closing: Promise<void> | undefined;
  const platform: Platform = {
    objects: new LocalObjectStore(db, config.storage),
    bus,
    docs: new LocalDocumentStore(db),
    jobs,
    deployer: new LocalServiceDeployer(),
    clock: systemClock,
    // Watchers and dispatchers stop first (after the work under way), then the database they use.
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...watchers].map((watcher) => watcher.stop()));
        await bus.close();
        await jobs.close();
        db.close();
      })()),
  };
  localParts.set(platform, { db, logger, watchers });
  return platform;
}

/**
 * A watcher that, once started, announces the objects of a local bucket (optionally under a prefix) on
 * `object-finalized` every `config.pollMs`, files a person copies in included. `platform.close()`
 * stops it too. On Google Cloud, Eventarc does this, so only a local platform has watchers.
 */
export function createBucketWatcher(
  config: Config,
  platform: Platform,
  options: { bucket: string; prefix?: string },
): BucketWatcher {
  const parts = localParts.get(platform);
  if (!parts) {
    throw new MloopError('failed_precondition', 'bucket watchers exist for a platform made by createPlatform with MLOOP_PLATFORM=local');
  }
  const watcher = new BucketWatcher(parts.db, config.storage, platform.bus, { ...options, pollMs: config.pollMs }, parts.logger);
  parts.watchers.add(watcher);
  return watcher;
}
