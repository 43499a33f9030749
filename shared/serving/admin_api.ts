import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type NextFunction } from 'express';
import { MloopError } from '../core/errors';
import { TOPICS, type MonitoringTick } from '../core/events';
import type { Context } from '../pipeline/context';
import { latestReports } from '../pipeline/monitoring/drift_report_store';
import { runMonitoringTick } from '../pipeline/usecases/on_monitoring_tick';
import { driftHistory, driftReportFile } from '../pipeline/read_models/drift_history';
import { listDatasets, listModels, getRun } from '../pipeline/read_models/listings';
import { abortCanary, completeCanary, promoteVersion, rejectVersion, rollback, type Actor } from '../pipeline/usecases/registry_transitions';
import { registryView } from '../pipeline/read_models/registry_view';
import { getRunDetail } from '../pipeline/read_models/run_detail';
import { comparedIds, runComparison } from '../pipeline/read_models/run_comparison';
import { misclassifiedThumbnail } from '../pipeline/read_models/image_evaluation';
import { createAuthenticator } from './authenticate';
import { sendError } from './http_errors';
import { registerRunRoutes } from './run_routes';

/**
 * The admin API (`/api/...`) of `mloop up` and of the `dashboard` function: what the CLI and the
 * dashboard read, and the few actions they take (redeliver a dead letter, run a monitoring pass now,
 * move a version in the registry). With an API key or allowed Google identities configured, every
 * action needs them (the same check as scoring); reads need them only with MLOOP_DASHBOARD_READS=key,
 * except dead letters, which always do.
 */
export interface AdminHooks {
  /** `POST /monitor`: a monitoring pass now, for one model or all. */
  monitorNow: (model: string | undefined) => Promise<unknown>;
  /** Whether a cancel stops the run's job here (`mloop up`) or leaves it to the launcher (run_routes.ts). */
  stopsExecutions?: boolean;
}

/** In the process that buffers the scores (`mloop up`): they are written first, so the pass sees them. */
export function monitorInProcess(ctx: Context, flushPredictions: () => Promise<void>): AdminHooks['monitorNow'] {
  return async (model) => {
    await flushPredictions();
    return (await runMonitoringTick(ctx, { model, requested_at: ctx.platform.clock.now().toISOString() })).models;
  };
}

/**
 * Where monitoring belongs to another identity (the dashboard function): the tick Cloud Scheduler
 * would send, handled by onMonitoringTick, so the dashboard needs no access to the prediction log,
 * the uploads or the job.
 */
export function monitorByTick(ctx: Context): AdminHooks['monitorNow'] {
  return async (model) => {
    const tick: MonitoringTick = { tick_id: randomUUID(), model, requested_at: ctx.platform.clock.now().toISOString() };
    await ctx.platform.bus.publish(TOPICS.monitoringTick, tick);
    return { queued: tick };
  };
}

// Dead letters hold whatever was published, a poison message's own bytes included: never an open read.
const ALWAYS_GUARDED_READS = /^\/dead-letters(\/|$)/;

export function adminApi(ctx: Context, hooks: AdminHooks): express.Router {
  const router = express.Router();
  const authenticate = createAuthenticator(ctx.config.apiKey, ctx.config.identities);
  const needsCredentials = (req: Request) =>
    (req.method !== 'GET' && req.method !== 'HEAD') || ctx.config.dashboardReads === 'key' || ALWAYS_GUARDED_READS.test(req.path);
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    if (authenticate && needsCredentials(req)) {
      try {
        await authenticate(req.headers);
      } catch (err) {
        sendError(res, err, ctx.log);
        return;
      }
    }
    next();
  });
  const route = (fn: (req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      res.json(await fn(req));
    } catch (err) {
      sendError(res, err, ctx.log);
    }
  };
  // before /runs/:id, which would take "compare" for a run id
  router.get('/runs/compare', route(async (req) => runComparison(ctx, comparedIds(req.query.ids))));
  registerRunRoutes(router, ctx, { stopsExecutions: hooks.stopsExecutions ?? false });
  router.get('/runs/:id', route(async (req) => getRun(ctx, String(req.params.id))));
  router.get('/runs/:id/detail', route(async (req) => getRunDetail(ctx, String(req.params.id))));
  // A PNG the job drew itself, under a name it made: served as an image, never sniffed as anything else.
  router.get('/runs/:id/misclassified/:index', async (req: Request, res: Response) => {
    try {
      const png = await misclassifiedThumbnail(ctx, String(req.params.id), String(req.params.index));
      res.set({ 'content-type': 'image/png', 'x-content-type-options': 'nosniff', 'cache-control': 'private, max-age=3600' }).send(png);
    } catch (err) {
      sendError(res, err, ctx.log);
    }
  });
  router.get('/models', route(async () => listModels(ctx)));
  router.get('/registry', route(async () => registryView(ctx)));
  // The moves a person makes in the registry, as `mloop models` makes them: the trail names the API.
  const actor = (req: Request, action: string): Actor => {
    const reason = typeof req.body?.reason === 'string' && req.body.reason ? req.body.reason : `${action} from the admin API`;
    return { by: 'admin-api', reason };
  };
  const param = (req: Request, name: string) => String(req.params[name]);
  router.post('/models/:model/rollback', route(async (req) => rollback(ctx, param(req, 'model'), actor(req, 'rollback'))));
  router.post('/models/:model/canary/complete', route(async (req) => completeCanary(ctx, param(req, 'model'), actor(req, 'canary complete'))));
  router.post('/models/:model/canary/abort', route(async (req) => abortCanary(ctx, param(req, 'model'), actor(req, 'canary abort'))));
  router.post('/models/:model/versions/:version/promote', route(async (req) =>
    promoteVersion(ctx, param(req, 'model'), param(req, 'version'), actor(req, 'promote'))));
  router.post('/models/:model/versions/:version/approve', route(async (req) =>
    promoteVersion(ctx, param(req, 'model'), param(req, 'version'), actor(req, 'approve'), 'candidate')));
  router.post('/models/:model/versions/:version/reject', route(async (req) =>
    rejectVersion(ctx, param(req, 'model'), param(req, 'version'), actor(req, 'reject'))));
  router.get('/datasets', route(async () => listDatasets(ctx)));
  router.get('/dead-letters', route(async () => ctx.platform.bus.deadLetters()));
  router.post('/dead-letters/:id/redeliver', route(async (req) => {
    await ctx.platform.bus.redeliver(String(req.params.id));
    return { redelivered: req.params.id };
  }));
  const modelOf = (req: Request) => (typeof req.query.model === 'string' ? req.query.model : undefined);
  router.post('/monitor', route(async (req) => hooks.monitorNow(modelOf(req))));
  router.get('/drift', route(async (req) => latestReports(ctx, modelOf(req))));
  router.get('/drift/history', route(async (req) => driftHistory(ctx, modelOf(req))));
  router.get('/drift/reports/:id', route(async (req) => driftReportFile(ctx, String(req.params.id))));
  router.use(route(async (req) => {
    throw new MloopError('not_found', `no admin route ${req.method} ${req.originalUrl}`);
  }));
  return router;
}
