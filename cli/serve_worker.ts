import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../shared/core/config';
import { createLogger, type Logger } from '../shared/core/log';
import type { Context } from '../shared/pipeline/context';
import { recordFeedback } from '../shared/pipeline/usecases/feedback';
import { ModelServer } from '../shared/serving/model_server';
import { PredictionLog } from '../shared/serving/prediction_log';
import { createPlatform } from '../shared/platform';
import { nodeHttpHandler } from '../shared/serving/node_http';
import { scoringService } from '../shared/serving/service';
import type { Serving } from './serve';
import { clusterMetricsText } from './serve_metrics';

/** Every worker polls the registry this often: how a promotion reaches every worker. */
const REGISTRY_POLL_MS = 1_000;

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
