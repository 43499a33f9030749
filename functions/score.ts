import * as functions from '@google-cloud/functions-framework';
import { servesPinnedModels } from '../shared/core/config';
import { recordFeedback } from '../shared/pipeline/usecases/feedback';
import { ModelServer } from '../shared/serving/model_server';
import { PredictionLog } from '../shared/serving/prediction_log';
import { scoringService } from '../shared/serving/service';
import { functionContext } from './runtime';
import { createScoreHandler } from './score_handler';

/**
 * The scoring service: on Google Cloud a Cloud Run service running this bundle under functions-framework
 * (functions/score.Dockerfile), one revision per set of served versions. A revision's versions come from
 * its environment (MLOOP_SERVED_MODELS) and are loaded and warmed as the process starts, before the
 * startup probe (`/v2/health/ready`) lets Cloud Run send it traffic; it never polls the registry.
 * Without MLOOP_SERVED_MODELS (the tests, a function deployed by hand) it follows the registry on use.
 */
let modelServer: Promise<ModelServer> | undefined;

function sharedModelServer(): Promise<ModelServer> {
  modelServer ??= (async () => {
    const server = new ModelServer(functionContext());
    await server.refresh();
    return server;
  })().catch((err) => {
    modelServer = undefined;
    throw err;
  });
  return modelServer;
}

// A revision starts loading what it serves at once, so the startup probe passes as soon as it can.
if (servesPinnedModels()) void sharedModelServer().catch((err) => functionContext().log.error({ err: String(err) }, 'loading the served models failed'));

let scoreHandler: ReturnType<typeof createScoreHandler> | undefined;

functions.http('score', (req, res) => {
  if (!scoreHandler) {
    const ctx = functionContext();
    // The log is flushed on a timer, whenever its buffer fills, and on SIGTERM before the instance goes away.
    const predictionLog = new PredictionLog(ctx, ctx.config.predictionLog);
    predictionLog.start();
    process.once('SIGTERM', () => void predictionLog.stop());
    const { router } = scoringService(ctx, sharedModelServer, {
      predictionLog,
      recordFeedback: (items) => recordFeedback(ctx, items, 'http'),
      revision: ctx.config.revision,
    });
    scoreHandler = createScoreHandler(router);
  }
  return scoreHandler(req, res);
});
