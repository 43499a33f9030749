import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { createPlatform } from '../../shared/platform';
import { startServeWorker } from '../../cli/serve_worker';
import { writeImageModel } from './image_model';

/**
 * `mloop serve`'s scoring server, in this process on a free port of 127.0.0.1, serving the image model
 * of writeImageModel as `leaves` v1 from a fresh home (SQLite and folders): real HTTP, the real router.
 */
export interface ImageServer {
  url: string;
  /** Its MLOOP_HOME: buckets and SQLite. */
  home: string;
  /** Stops the server (flushing its prediction log), then removes its home. */
  stop: (keepHome?: boolean) => Promise<void>;
}

export async function startImageServer(env: Record<string, string> = {}): Promise<ImageServer> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-image-serve-'));
  const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent', PORT: '0', MLOOP_PREDICTION_SAMPLE: '0', ...env });
  const log = createLogger('silent');
  const platform = createPlatform(config, log);
  try {
    await installVersion({ config, log, platform }, 'leaves', 'v1', writeImageModel(path.join(home, 'model')));
  } finally {
    await platform.close();
  }
  const serving = await startServeWorker(config, log);
  return {
    url: serving.url,
    home,
    stop: async (keepHome = false) => {
      await serving.stop();
      if (!keepHome) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
