import express, { type Request, type Response, type NextFunction } from 'express';
import { apiKeyMatches, presentedKey } from '../shared/core/auth';
import { MloopError } from '../shared/core/errors';
import type { Context } from '../shared/pipeline/context';
import { latestReports } from '../shared/pipeline/drift_report';
import { runMonitoringTick } from '../shared/pipeline/monitor';
import { driftHistory, driftReportFile } from '../shared/pipeline/drift_history';
import { listDatasets, listModels, listRuns, getRun } from '../shared/pipeline/queries';
import { promoteVersion, rejectVersion, rollback, type Actor } from '../shared/pipeline/registry';
import { registryView } from '../shared/pipeline/registry_view';
import { getRunDetail } from '../shared/pipeline/run_detail';
import { sendError } from '../functions/http_errors';

/**
 * The local stack's admin API (`/api/...`): what the CLI and the dashboard read, and the few actions
 * they take (redeliver a dead letter, run a monitoring pass now, move a version in the registry),
 * behind the API key when one is configured.
 */
export interface AdminHooks {
  /** Writes the scores still buffered, so that a monitoring pass run now sees them. */
  flushPredictions: () => Promise<void>;
}

export function adminApi(ctx: Context, hooks: AdminHooks): express.Router {
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (ctx.config.apiKey && !apiKeyMatches(presentedKey(req.headers), ctx.config.apiKey)) {
      sendError(res, new MloopError('unauthenticated', 'missing or wrong API key: send Authorization: Bearer <key>'), ctx.log);
      return;
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
  router.get('/runs', route(async (req) => listRuns(ctx, typeof req.query.model === 'string' ? req.query.model : undefined)));
  router.get('/runs/:id', route(async (req) => getRun(ctx, String(req.params.id))));
  router.get('/runs/:id/detail', route(async (req) => getRunDetail(ctx, String(req.params.id))));
  router.get('/models', route(async () => listModels(ctx)));
  router.get('/registry', route(async () => registryView(ctx)));
  // The moves a person makes in the registry, as `mloop models` makes them: the trail names the API.
  const actor = (req: Request, action: string): Actor => {
    const reason = typeof req.body?.reason === 'string' && req.body.reason ? req.body.reason : `${action} from the admin API`;
    return { by: 'admin-api', reason };
  };
  const param = (req: Request, name: string) => String(req.params[name]);
  router.post('/models/:model/rollback', route(async (req) => rollback(ctx, param(req, 'model'), actor(req, 'rollback'))));
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
  router.post('/monitor', route(async (req) => {
    await hooks.flushPredictions();
    return (await runMonitoringTick(ctx, { model: modelOf(req), requested_at: ctx.platform.clock.now().toISOString() })).models;
  }));
  router.get('/drift', route(async (req) => latestReports(ctx, modelOf(req))));
  router.get('/drift/history', route(async (req) => driftHistory(ctx, modelOf(req))));
  router.get('/drift/reports/:id', route(async (req) => driftReportFile(ctx, String(req.params.id))));
  router.use(route(async (req) => {
    throw new MloopError('not_found', `no admin route ${req.method} ${req.originalUrl}`);
  }));
  return router;
}
