import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Fallback } from './node_http';

/**
 * The dashboard's files, built by scripts/build.mjs into dist/dashboard. Every bundle that serves them
 * (dist/cli/mloop.js, dist/functions/index.js) sits one level under dist/, so they are found beside it;
 * the source has no built page. They hold no data, so they are served without credentials; the page
 * sends the key it is given to /api itself.
 */
const DASHBOARD_DIR = path.join(__dirname, '..', 'dashboard');
const ASSETS = '/dashboard/';

export function dashboardFiles(): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => res.sendFile(path.join(DASHBOARD_DIR, 'index.html')));
  router.use(ASSETS, express.static(DASHBOARD_DIR, { index: false, fallthrough: false }));
  return router;
}

/** `GET /` and the assets go to the dashboard; everything else (POST / scores) to `next`. */
export function withDashboard(app: Fallback, next: Fallback): Fallback {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const isPage = (req.method === 'GET' || req.method === 'HEAD') && (url === '/' || url.startsWith('/?') || url.startsWith(ASSETS));
    return isPage ? app(req, res) : next(req, res);
  };
}
