import type { Request, Response } from 'express';
import type { HttpReply } from '../shared/serving/http_types';
import type { ScoringRouter } from '../shared/serving/router';

const EMPTY = Buffer.alloc(0);

/**
 * The `score` HTTP function: functions-framework's express request handed to the scoring router that
 * `mloop up` and `mloop serve` use too. The framework has already read the body; its raw bytes are
 * what the router parses, so both paths validate the very same way.
 */
export function createScoreHandler(router: ScoringRouter) {
  return async (req: Request, res: Response): Promise<void> => {
    const raw = (req as Request & { rawBody?: Buffer }).rawBody ?? (Buffer.isBuffer(req.body) ? req.body : EMPTY);
    const reply = await router({ method: req.method, path: req.path, headers: req.headers, body: raw });
    send(res, reply);
  };
}

function send(res: Response, reply: HttpReply): void {
  res.status(reply.status);
  res.setHeader('content-type', reply.contentType);
  if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.end(reply.body);
  if (reply.after) setImmediate(reply.after);
}
