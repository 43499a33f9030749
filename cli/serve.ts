import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../shared/core/config';
import { errorMessage } from '../shared/core/errors';
import { createLogger, type Logger } from '../shared/core/log';
import type { Context } from '../shared/pipeline/context';
import { recordFeedback } from '../shared/pipeline/usecases/feedback';
import { ModelServer } from '../shared/serving/model_server';
import { PredictionLog } from '../shared/serving/prediction_log';
import { createPlatform } from '../shared/platform';
import { nodeHttpHandler } from '../shared/serving/node_http';
import { scoringService } from '../shared/serving/service';

/**
 * `mloop serve`: the scoring routes alone, in `config.serveWorkers` processes sharing one port
 * (node:cluster), so that scoring uses every core. Each worker holds its own ModelServer and follows
 * the registry by polling it, which is how a promotion reaches every worker, here as on Cloud Run's
 * many instances. The primary only supervises and sums the workers' metrics for `GET /metrics`.
 */
const REGISTRY_POLL_MS = 1_000;
const METRICS_REQUEST = 'mloop:metrics';

interface MetricsMessage {
  type: typeof METRICS_REQUEST;
  id: number;
  text?: string;
}

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

/** In a worker (or alone, with one worker): the scoring server itself. */
export async function startServeWorker(config: Config, log: Logger = createLogger(config.logLevel, { component: 'serve' })): Promise<Serving> {
  const ctx: Context = { config, log, platform: createPlatform(config, log) };
  const models = new ModelServer(ctx);
  const predictionLog = new PredictionLog(ctx, config.predictionLog);
  let http: Server | undefined;
  try {
    const { router, metrics } = scoringService(ctx, async () => models, {
      predictionLog,
      recordFeedback: (items) => recordFeedback(ctx, items, 'http'),
      metricsText: cluster.isWorker ? clusterMetricsText : undefined,
    });
    if (cluster.isWorker) {
      // Before the slow model load: the primary asks every connected worker for its metrics, and one
      // still loading would otherwise leave a sibling's /metrics waiting for prom-client's timeout.
      AggregatorRegistry.setRegistries([metrics.registry]);
      // Constructing one is what makes prom-client answer the primary's requests for this worker's metrics.
      new AggregatorRegistry();
    }
    await models.refresh();
    models.startPolling(REGISTRY_POLL_MS);
    predictionLog.start();
    http = await new Promise<Server>((resolve, reject) => {
      const server = createServer({ keepAliveTimeout: 65_000 }, nodeHttpHandler(router, config.maxBodyBytes));
      server.listen(config.port, config.host, () => resolve(server));
      server.once('error', reject);
    });
  } catch (err) {
    await Promise.all([models.close(), predictionLog.stop()]);
    await ctx.platform.close();
    throw err;
  }
  const server = http;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await predictionLog.stop();
      await models.close();
      await ctx.platform.close();
    },
  };
}

let nextRequest = 0;
const pending = new Map<number, (text: string) => void>();

function clusterMetricsText(): Promise<string> {
  if (pending.size === 0) {
    process.on('message', onMetrics);
  }
  const id = nextRequest++;
  return new Promise<string>((resolve) => {
    pending.set(id, resolve);
    process.send!({ type: METRICS_REQUEST, id });
  });
}

function onMetrics(message: MetricsMessage): void {
  if (message?.type !== METRICS_REQUEST || message.text === undefined) return;
  pending.get(message.id)?.(message.text);
  pending.delete(message.id);
  if (pending.size === 0) process.off('message', onMetrics);
}
