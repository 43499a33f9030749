import * as functions from '@google-cloud/functions-framework';
import express from 'express';
import { recordFeedback } from '../shared/pipeline/usecases/feedback';
import { ModelServer } from '../shared/serving/model_server';
import { PredictionLog } from '../shared/serving/prediction_log';
import {
  onDataUploadedFunction,
  onDriftDetectedFunction,
  onMonitoringTickFunction,
  onTrainingCompletedFunction,
  onTrainingRequestedFunction,
} from './event_functions';
import { functionContext } from './runtime';
import { adminApi, monitorByTick } from '../shared/serving/admin_api';
import { dashboardFiles } from '../shared/serving/dashboard_files';
import { scoringService } from '../shared/serving/service';
import { createScoreHandler } from './score';

/** Every entry point, under the name it is deployed with (`--entry-point`). */
functions.cloudEvent('onDataUploaded', onDataUploadedFunction);
functions.cloudEvent('onTrainingRequested', onTrainingRequestedFunction);
functions.cloudEvent('onTrainingCompleted', onTrainingCompletedFunction);
functions.cloudEvent('onMonitoringTick', onMonitoringTickFunction);
functions.cloudEvent('onDriftDetected', onDriftDetectedFunction);

const REGISTRY_POLL_MS = 10_000;
let modelServer: Promise<ModelServer> | undefined;

function sharedModelServer(): Promise<ModelServer> {
  modelServer ??= (async () => {
    const server = new ModelServer(functionContext());
    await server.refresh();
    server.startPolling(REGISTRY_POLL_MS);
    return server;
  })().catch((err) => {
    modelServer = undefined;
    throw err;
  });
  return modelServer;
}

let scoreHandler: ReturnType<typeof createScoreHandler> | undefined;

functions.http('score', (req, res) => {
  if (!scoreHandler) {
    const ctx = functionContext();
    // Cloud Run gives a function instance CPU only while it serves requests, so the log is also
    // flushed whenever its buffer fills, and on SIGTERM before the instance goes away.
    const predictionLog = new PredictionLog(ctx, ctx.config.predictionLog);
    predictionLog.start();
    process.once('SIGTERM', () => void predictionLog.stop());
    const { router } = scoringService(ctx, sharedModelServer, { predictionLog, recordFeedback: (items) => recordFeedback(ctx, items, 'http') });
    scoreHandler = createScoreHandler(router);
  }
  return scoreHandler(req, res);
});

let dashboardApp: express.Express | undefined;

/**
 * The dashboard and its admin API, as `mloop up` serves them at `/` and `/api`. A monitoring pass asked
 * for here is handed to onMonitoringTick: this function's identity may not read the prediction log.
 */
functions.http('dashboard', (req, res) => {
  if (!dashboardApp) {
    const ctx = functionContext();
    dashboardApp = express();
    dashboardApp.disable('x-powered-by');
    dashboardApp.use('/api', adminApi(ctx, { monitorNow: monitorByTick(ctx) }));
    dashboardApp.use(dashboardFiles());
  }
  return dashboardApp(req, res);
});
