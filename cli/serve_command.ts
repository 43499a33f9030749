import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfigWith } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { startServePrimary } from './serve';

/** `mloop serve`: scoring only, on every core; the same routes as the `score` function. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the scoring routes only, in one process per core, following the registry')
    .option('--port <n>', 'port (default PORT or 8080)')
    .option('--workers <n>', 'processes (default MLOOP_SERVE_WORKERS or the cores)')
    .action(async (opts: { port?: string; workers?: string }) => {
      const config = loadConfigWith({
        ...(opts.port !== undefined ? { PORT: opts.port } : {}),
        ...(opts.workers !== undefined ? { MLOOP_SERVE_WORKERS: opts.workers } : {}),
      });
      const log = createLogger(config.logLevel, { component: 'serve' });
      const alone = !cluster.isWorker && config.serveWorkers === 1;
      // the scoring code is loaded by the processes that score: the primary forks its workers ~0.15 s sooner without it
      const serving = cluster.isWorker || alone ? await (await import('./serve_worker')).startServeWorker(config, log) : await startServePrimary(config, log);
      if (!cluster.isWorker) process.stdout.write(`mloop serve on ${serving.url} (${config.serveWorkers} worker${config.serveWorkers > 1 ? 's' : ''})\n`);
      await new Promise<void>((resolve) => {
        // `on`, not `once`: a worker stopped by a signal to the process group gets a second SIGTERM from
        // its primary (cluster's worker.kill), and without a handler that one would end it mid-flush,
        // losing the prediction log's buffered rows
        process.on('SIGINT', resolve);
        process.on('SIGTERM', resolve);
        // A worker whose primary went away has nobody to serve for.
        if (cluster.isWorker) process.once('disconnect', resolve);
      });
      await serving.stop();
      process.exit(0);
    });
}
