import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { apiKeyMatches, presentedKey } from '../shared/core/auth';
import { MloopError } from '../shared/core/errors';
import type { Logger } from '../shared/core/log';
import { parseFeedbackBody, type FeedbackItem } from '../shared/pipeline/feedback';
import type { ModelServer } from '../shared/pipeline/model_server';
import type { PredictionLog } from '../shared/pipeline/prediction_log';
import { sendError } from './http_errors';

export interface ScoreOptions {
  apiKey?: string;
  log: Logger;
  predictionLog?: PredictionLog;
  /** Stores labels sent to POST /feedback; without it the route does not exist. */
  recordFeedback?: (items: FeedbackItem[]) => Promise<number>;
}

const SCORE_PATH = /^\/(?:score(?:\/([^/]+))?)?\/?$/;
const FEEDBACK_PATH = /^\/feedback\/?$/;

/**
 * The `score` HTTP function: `POST /score[/<model>]` with `{"instances": [...]}`, `POST /feedback` with
 * `{"request_id", "label"[, "index"]}` (or an array of them) for a response's request id, and
 * `GET /health`. When an API key is configured every route but health needs it.
 */
export function createScoreHandler(server: () => Promise<ModelServer>, options: ScoreOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const path = req.path;
      if (req.method === 'GET' && (path === '/health' || path === '/healthz')) {
        res.json(health(await server()));
        return;
      }
      const feedback = options.recordFeedback && FEEDBACK_PATH.test(path);
      const match = SCORE_PATH.exec(path);
      if (!match && !feedback) throw new MloopError('not_found', `no route ${req.method} ${path}`);
      if (req.method !== 'POST') throw new MloopError('not_found', feedback ? 'use POST /feedback with {"request_id": "...", "label": 0 or 1}' : `use POST ${path} with {"instances": [...]}`);
      if (options.apiKey && !apiKeyMatches(presentedKey(req.headers), options.apiKey)) {
        throw new MloopError('unauthenticated', 'missing or wrong API key: send Authorization: Bearer <key>');
      }
      if (feedback) {
        res.json({ recorded: await options.recordFeedback!(parseFeedbackBody(req.body)) });
        return;
      }
      const body = req.body as { instances?: unknown } | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body) || !('instances' in body)) {
        throw new MloopError('invalid_argument', 'the body must be a JSON object {"instances": [{feature: value, ...}]} sent as application/json');
      }
      const model = match![1] ? decodeURIComponent(match![1]) : undefined;
      const requestId = requestIdOf(req);
      const scored = await (await server()).score(model, body.instances);
      options.predictionLog?.record(requestId, scored.model, scored.model_version, body.instances as unknown[], scored.predictions);
      res.json({ request_id: requestId, ...scored });
    } catch (err) {
      sendError(res, err, options.log);
    }
  };
}

/** The caller's id when it sends one (to join feedback later), else a fresh one. */
function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

function health(server: ModelServer) {
  const versions = server.versions();
  const names = Object.keys(versions);
  return {
    status: 'ok',
    model_version: names.length === 1 ? versions[names[0]] : null,
    model_loaded: names.length > 0,
    models: versions,
  };
}
