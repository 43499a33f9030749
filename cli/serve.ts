import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../shared/core/config';
import { errorMessage } from '../shared/core/errors';
import { createLogger, type Logger } from '../shared/core/log';
import { METRICS_REQUEST, type MetricsMessage } from './serve_metrics';

/**
 * `mloop serve`: the scoring routes alone, in `config.serveWorkers` processes sharing one port
 * (node:cluster), so that scoring uses every core. Each worker holds its own ModelServer and follows
 * the registry by polling it, which is how a promotion reaches every worker, here as on Cloud Run's
 * many instances. The primary only supervises and sums the workers' metrics for `GET /metrics`.
 */
export interface Serving {
  url: string;
  stop(): Promise<void>;
}

/**
 * In the primary: starts the workers and resolves once all of them listen. A primary that is not
 * `mloop serve` itself (`mloop up`) names the script its workers run as `mloop serve`.
 */
export async function startServePrimary(config: Config, log: Logger = createLogger(config.logLevel, { component: 'serve' }), script?: string): Promise<Serving> {
  if (script) cluster.setupPrimary({ exec: script, args: ['serve', '--port', String(config.port), '--workers', String(config.serveWorkers)] });
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: MetricsMessage) => {
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ type: METRICS_REQUEST, id: message.id, text }),
        (err) => worker.isConnected() && worker.send({ type: METRICS_REQUEST, id: message.id, text: `# metrics unavailable: ${errorMessage(err)}\n` }),
      );
    });
    return worker;
  };
  const listening = Array.from({ length: config.serveWorkers }, () => {
    const worker = fork();
    return new Promise<number>((resolve, reject) => {
      // With port 0 the workers share one port the primary picked: the first to listen tells which.
      worker.once('listening', (address) => resolve(address.port));
      worker.once('exit', (code) => reject(new Error(`a scoring worker exited with code ${code} before listening (see its log above)`)));
    });
  });
  const [port] = await Promise.all(listening);
  cluster.on('exit', (worker, code, signal) => {
    // A worker that exits 0 was stopped (Ctrl-C reaches the whole process group): only a crash is replaced.
    if (stopping || code === 0) return;
    log.error({ pid: worker.process.pid, code, signal }, 'scoring worker died; starting another');
    fork();
  });
  return {
    url: `http://${config.host}:${port}`,
    stop: async () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      await Promise.all(
        workers.map((worker) => new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.kill('SIGTERM');
        })),
      );
    },
  };
}
