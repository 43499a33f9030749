import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type NextFunction } from 'express';
import { errorMessage, MloopError } from '../core/errors';
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
import { pageOf, pageRequestOf } from '../pipeline/read_models/paging';
import { importVersion } from '../pipeline/usecases/import_version';
import { deleteVersion } from '../pipeline/usecases/registry_transitions';
import { readBundleZip, BUNDLE_LIMITS } from '../pipeline/artifacts/version_bundle';
import { versionZip } from '../pipeline/artifacts/version_zip';
import { canonicalVersion } from '../pipeline/store/version_ref';
import { storeOf } from '../pipeline/store';
import { modelCardOf } from '../pipeline/read_models/model_card';
import { cardMarkdown } from '../pipeline/artifacts/model_card';
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
  // With ?limit= or ?page_token= a listing answers one page {items, next_page_token}; without, the whole array as before.
  const paged = <T>(req: Request, items: T[], keyOf: (item: T) => string) => {
    const page = pageRequestOf(req.query as Record<string, unknown>);
    return page ? pageOf(items, keyOf, page) : items;
  };
  const modelKey = (m: { created_at: string; model: string; version: string }) => `${m.created_at}|${m.model}|${m.version}`;
  router.get('/models', route(async (req) => paged(req, await listModels(ctx), modelKey)));
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
  router.get('/datasets', route(async (req) => paged(req, await listDatasets(ctx), (d) => `${d.created_at}|${d.model}|${d.version}`)));
  router.get('/models/:model/versions', route(async (req) => {
    const model = param(req, 'model');
    if (!(await storeOf(ctx).models.get(model))) throw new MloopError('not_found', `there is no model "${model}"`);
    return paged(req, await listModels(ctx, model), modelKey);
  }));
  // A version folder trained elsewhere, zipped, as the body; options in the query or x-mloop-* headers.
  router.post(
    '/models/:model/versions',
    express.raw({ type: ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'], limit: BUNDLE_LIMITS.maxTotalBytes }),
    route(async (req) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
        throw new MloopError('unsupported_media_type', 'send the version folder as a zip body with content-type application/zip (zip -r v.zip <folder written by mloop train --out>)');
      }
      const option = (name: string) => {
        const value = req.query[name] ?? req.headers[`x-mloop-${name}`];
        return typeof value === 'string' && value !== '' ? value : undefined;
      };
      const flag = (name: string) => ['1', 'true', 'yes'].includes(option(name)?.toLowerCase() ?? '');
      if (flag('promote') && flag('candidate')) throw new MloopError('invalid_argument', 'promote and candidate contradict each other: pick one');
      return importVersion(ctx, await readBundleZip(req.body), {
        model: param(req, 'model'),
        by: 'admin-api',
        reason: option('reason'),
        label: option('label'),
        choice: flag('promote') ? 'promote' : flag('candidate') ? 'candidate' : undefined,
      });
    }),
  );
  router.get('/models/:model/versions/:version/download', async (req: Request, res: Response) => {
    try {
      const model = param(req, 'model');
      const version = await canonicalVersion(ctx, model, param(req, 'version'));
      if (!(await storeOf(ctx).versions.get(model, version))) throw new MloopError('not_found', `${model} has no version ${param(req, 'version')}`);
      const { stream } = await versionZip(ctx, model, version);
      res.set({ 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${model}-${version}.zip"`, 'x-content-type-options': 'nosniff' });
      stream.on('error', (err) => {
        ctx.log.warn({ model, version, err: String(err) }, 'version download cut short');
        res.destroy(err);
      });
      stream.pipe(res);
    } catch (err) {
      sendError(res, err, ctx.log);
    }
  });
  // A version's model card (production's without a version): markdown, or its blocks with ?format=json.
  const card = async (req: Request, res: Response) => {
    try {
      const found = await modelCardOf(ctx, param(req, 'model'), req.params.version === undefined ? undefined : param(req, 'version'));
      if (req.query.format === 'json') res.json(found);
      else res.type('text/markdown; charset=utf-8').set('x-content-type-options', 'nosniff').send(cardMarkdown(found));
    } catch (err) {
      sendError(res, err, ctx.log);
    }
  };
  router.get('/models/:model/card', card);
  router.get('/models/:model/versions/:version/card', card);
  router.delete('/models/:model/versions/:version', route(async (req) => deleteVersion(ctx, param(req, 'model'), param(req, 'version'))));
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
  // A body the parser refused (an import past the size limit) is answered as every other error, in JSON.
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status === 413) return sendError(res, new MloopError('payload_too_large', `the body is over the limit of ${BUNDLE_LIMITS.maxTotalBytes} bytes`), ctx.log);
    if (typeof status === 'number' && status >= 400 && status < 500) return sendError(res, new MloopError('invalid_argument', `the body cannot be read: ${errorMessage(err)}`), ctx.log);
    sendError(res, err, ctx.log);
  });
  return router;
}
