import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import type { Config } from '../shared/core/config';
import { errorMessage, MloopError } from '../shared/core/errors';
import { ModelPromoted, TOPICS, type MonitoringTick } from '../shared/core/events';
import { createLogger, type Logger } from '../shared/core/log';
import type { Context } from '../shared/pipeline/context';
import { FEEDBACK_PREFIX, recordFeedback } from '../shared/pipeline/usecases/feedback';
import { SUBSCRIPTIONS } from '../shared/pipeline/handlers';
import { ModelServer } from '../shared/serving/model_server';
import { PredictionLog } from '../shared/serving/prediction_log';
import { reconcileRuns } from '../shared/pipeline/usecases/reconcile_runs';
import { createPlatform } from '../shared/platform';
import { acquireInstanceLock } from '../shared/platform/local/instance_lock';
import { adminApi, monitorInProcess } from '../shared/serving/admin_api';
import { dashboardFiles, withDashboard } from '../shared/serving/dashboard_files';
import { nodeHttpHandler } from '../shared/serving/node_http';
import { scoringService } from '../shared/serving/service';
import type { Subscription } from '../shared/platform/ports';
import { startServePrimary, type Serving } from './serve';

export interface Stack {
  url: string;
  /** Where `mloop serve`'s workers score, when MLOOP_SCORE_PORT is set. */
  scoreUrl?: string;
  ctx: Context;
  models: ModelServer;
  stop(): Promise<void>;
}

const SCORE_RELOAD_SUBSCRIPTION = 'score-reload';
const REGISTRY_POLL_MS = 5_000;

/**
 * `mloop up`: every cloud part in one process. The bucket watchers play Eventarc, the SQLite queue
 * plays Pub/Sub, the job launcher plays Cloud Run Jobs, a timer plays Cloud Scheduler's monitoring
 * tick (another reconciles runs more often), and one HTTP server serves the scoring function (with
 * feedback), the admin API and the dashboard.
 */
export async function startStack(config: Config, log: Logger = createLogger(config.logLevel, { component: 'stack' })): Promise<Stack> {
  const lock = acquireInstanceLock(config.home);
  const platform = createPlatform(config, log);
  const ctx: Context = { config, log, platform };
  const subscriptions: Subscription[] = [];
  const models = new ModelServer(ctx);
  const predictionLog = new PredictionLog(ctx, config.predictionLog);
  if (!platform.watchBucket) throw new MloopError('failed_precondition', 'mloop up runs the local platform: unset MLOOP_PLATFORM=gcp (Eventarc announces uploads on Google Cloud)');
  const watchers = [
    platform.watchBucket({ bucket: config.dataBucket, prefix: 'datasets/' }),
    platform.watchBucket({ bucket: config.dataBucket, prefix: FEEDBACK_PREFIX }),
  ];
  let reconcileTimer: NodeJS.Timeout | undefined;
  let monitorTimer: NodeJS.Timeout | undefined;
  let http: Server | undefined;
  let serving: Serving | undefined;
  try {
    const options = { maxDeliveryAttempts: config.eventMaxAttempts, ackDeadlineSeconds: config.ackDeadlineSeconds };
    for (const { topic, subscription } of SUBSCRIPTIONS) await platform.bus.ensureSubscription(topic, subscription, options);
    await platform.bus.ensureSubscription(TOPICS.modelPromoted, SCORE_RELOAD_SUBSCRIPTION, options);

    await reconcile(ctx);
    await models.refresh();
    models.startPolling(REGISTRY_POLL_MS);
    for (const { topic, subscription, handle } of SUBSCRIPTIONS) {
      subscriptions.push(
        await platform.bus.subscribe(subscription, async (message) => {
          // In one process the tick can see every score so far: what is still buffered is written first.
          if (topic === TOPICS.monitoringTick) await predictionLog.flush();
          await handle(ctx, message.data);
        }),
      );
    }
    subscriptions.push(
      await platform.bus.subscribe(SCORE_RELOAD_SUBSCRIPTION, async (message) => {
        const parsed = ModelPromoted.safeParse(message.data);
        if (parsed.success) await models.onPromoted(parsed.data.model);
      }),
    );
    for (const watcher of watchers) watcher.start();
    let reconciling = false;
    reconcileTimer = setInterval(() => {
      if (reconciling) return;
      reconciling = true;
      void reconcile(ctx).finally(() => (reconciling = false));
    }, config.reconcileMs);
    if (config.monitorIntervalSeconds > 0) {
      monitorTimer = setInterval(() => {
        const tick: MonitoringTick = { tick_id: randomUUID(), requested_at: platform.clock.now().toISOString() };
        platform.bus.publish(TOPICS.monitoringTick, tick).catch((err) => log.warn({ err: errorMessage(err) }, 'monitoring tick not published'));
      }, config.monitorIntervalSeconds * 1000);
    }

    const app = express();
    app.disable('x-powered-by');
    app.use(express.json({ limit: '32mb' }));
    app.use('/api', adminApi(ctx, { monitorNow: monitorInProcess(ctx, () => predictionLog.flush()), stopsExecutions: true }));
    app.use(dashboardFiles());
    predictionLog.start();
    // Scoring goes straight to the router on node:http; only the admin API pays for express.
    const { router } = scoringService(ctx, async () => models, { predictionLog, recordFeedback: (items) => recordFeedback(ctx, items, 'http') });
    http = await new Promise<Server>((resolve, reject) => {
      // As `mloop serve`: idle connections outlive a client's own keep-alive (undici's 4 s), so a client
      // never reuses one the server is closing at that moment ("other side closed").
      const server = createServer({ keepAliveTimeout: 65_000 }, withDashboard(app, nodeHttpHandler(router, config.maxBodyBytes, { prefix: '/api', handle: app })));
      server.listen(config.port, config.host, () => resolve(server));
      server.once('error', reject);
    });
    if (config.scorePort !== undefined) {
      serving = await startServePrimary({ ...config, port: config.scorePort }, log, process.argv[1]);
      log.info({ url: serving.url, workers: config.serveWorkers }, 'scoring workers up');
    }
  } catch (err) {
    await shutdown();
    throw err;
  }
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  async function shutdown(): Promise<void> {
    if (reconcileTimer) clearInterval(reconcileTimer);
    if (monitorTimer) clearInterval(monitorTimer);
    for (const watcher of watchers) watcher.stop();
    await serving?.stop();
    if (http) {
      const closed = new Promise<void>((resolve) => http!.close(() => resolve()));
      http.closeIdleConnections();
      await closed;
    }
    await Promise.all(subscriptions.map((s) => s.close()));
    await predictionLog.stop();
    await models.close();
    await platform.close();
    lock.release();
  }

  return { url: `http://${config.host}:${port}`, scoreUrl: serving?.url, ctx, models, stop: shutdown };
}

async function reconcile(ctx: Context): Promise<void> {
  try {
    const result = await reconcileRuns(ctx);
    if (result.retried.length || result.failed.length) ctx.log.warn(result, 'reconcile moved runs on');
  } catch (err) {
    ctx.log.warn({ err: errorMessage(err) }, 'reconcile failed; it runs again on the next tick');
  }
}
