import type { Config } from '../../core/config';
import type { Logger } from '../../core/log';
import { systemClock } from '../clock';
import type { Platform, WatchOptions } from '../ports';
import { BucketWatcher } from './bucket_watcher';
import { LocalDocumentStore } from './document_store';
import { LocalEventBus } from './event_bus';
import { LocalJobLauncher } from './job_launcher';
import { LocalObjectStore } from './object_store';
import { LocalServiceDeployer } from './service_deployer';
import { openDatabase } from './sqlite';

/**
 * Every cloud part on one machine, sharing one SQLite handle on `<home>/mloop.db`; other processes of
 * the same stack open their own. Eventarc has no local twin, so this platform can also watch a bucket
 * folder and announce what lands in it, files a person copies in included.
 */
export function createLocalPlatform(config: Config, logger: Logger): Platform {
  const db = openDatabase(config.home);
  const bus = new LocalEventBus(db, config, logger);
  const jobs = new LocalJobLauncher(db, config, logger);
  const watchers = new Set<BucketWatcher>();
  let closing: Promise<void> | undefined;
  return {
    objects: new LocalObjectStore(db, config.storage),
    bus,
    docs: new LocalDocumentStore(db),
    jobs,
    deployer: new LocalServiceDeployer(),
    clock: systemClock,
    watchBucket(options: WatchOptions) {
      const watcher = new BucketWatcher(db, config.storage, bus, { ...options, pollMs: config.pollMs }, logger);
      watchers.add(watcher);
      return watcher;
    },
    // Watchers and dispatchers stop first (after the work under way), then the database they use.
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...watchers].map((watcher) => watcher.stop()));
        await bus.close();
        await jobs.close();
        db.close();
      })()),
  };
}
