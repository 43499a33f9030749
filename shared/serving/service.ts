import type { Context } from '../pipeline/context';
import type { FeedbackItem } from '../pipeline/usecases/feedback';
import type { ModelServer } from './model_server';
import type { PredictionLog } from './prediction_log';
import { createAuthenticator } from './authenticate';
import { ScoringMetrics } from './metrics';
import { createScoringRouter, type ScoringRouter } from './router';

export interface ScoringServiceOptions {
  predictionLog?: PredictionLog;
  recordFeedback?: (items: FeedbackItem[]) => Promise<number>;
  /** What `GET /metrics` shows when this process is one of several (the cluster's sum). */
  metricsText?: () => Promise<string>;
  /** The Cloud Run revision answering, named on every reply. */
  revision?: string;
}

/** The router as every server builds it, from the deployment's configuration. */
export function scoringService(ctx: Context, server: () => Promise<ModelServer>, options: ScoringServiceOptions = {}): { router: ScoringRouter; metrics: ScoringMetrics } {
  let loaded: ModelServer | undefined;
  // a plain .then, not an async function around an await: one promise fewer on every request
  const resolve = () => server().then((found) => (loaded = found));
  const metrics = new ScoringMetrics(() => loaded?.versions() ?? {});
  const router = createScoringRouter({
    server: resolve,
    log: ctx.log,
    authenticate: createAuthenticator(ctx.config.apiKey, ctx.config.identities),
    metrics,
    maxBodyBytes: ctx.config.maxBodyBytes,
    docsOpen: ctx.config.dashboardReads !== 'key',
    ...options,
  });
  return { router, metrics };
}
