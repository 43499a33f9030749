import * as functions from '@google-cloud/functions-framework';
import express from 'express';
import { adminApi, monitorByTick } from '../shared/serving/admin_api';
import { dashboardFiles } from '../shared/serving/dashboard_files';
import { functionContext } from './runtime';

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
