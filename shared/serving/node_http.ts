import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_TYPE, type HttpReply } from './http_types';
import type { ScoringRouter } from './router';

const EMPTY = Buffer.alloc(0);
// A client still sending this many times the limit is not going to stop: its connection is cut.
const DRAIN_FACTOR = 8;

export type Fallback = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The scoring router on a bare node:http server: no framework between the socket and the model, the
 * body read as raw chunks and, once it outgrows the limit, no longer kept: the rest is read and dropped
 * so that the client can finish sending and read its 413 (a socket closed under a client still writing
 * is an EPIPE for it, not an answer), unless it goes on far past the limit. `fallback` takes what is
 * not a scoring route (the admin API of `mloop up`).
 */
export function nodeHttpHandler(router: ScoringRouter, maxBodyBytes: number, fallback?: { prefix: string; handle: Fallback }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (fallback && path.startsWith(fallback.prefix)) return fallback.handle(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = Number(req.headers['content-length']) > maxBodyBytes;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes * DRAIN_FACTOR) req.destroy();
      if (refused || size <= maxBodyBytes) {
        if (!refused) chunks.push(chunk);
        return;
      }
      refused = true;
      chunks.length = 0;
    });
    req.on('end', () => {
      if (refused) return refuse(req, res, router, path);
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      // The reply is written on the loop's next turn, after every request read in this one has been
      // answered: at c=32 the writes then go out together, which cost the kernel's loopback and the
      // client fewer wakeups than one write between each read (about a sixth less CPU per 1-row request).
      router({ method: req.method ?? 'GET', path, headers: req.headers, body }).then(
        (reply) => setImmediate(send, req, res, reply),
        // The router answers every error itself; this is only a last guard against a bug in it.
        () => send(req, res, { status: 500, body: '{"error":{"code":"internal","message":"internal error"}}', contentType: JSON_TYPE }),
      );
    });
    req.on('error', () => res.destroy());
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, router: ScoringRouter, path: string): void {
  res.shouldKeepAlive = false;
  router({ method: req.method ?? 'POST', path, headers: req.headers, body: EMPTY, oversized: true }).then(
    (reply) => send(req, res, reply),
    () => res.destroy(),
  );
}

function send(req: IncomingMessage, res: ServerResponse, reply: HttpReply): void {
  if (res.headersSent) return;
  // One object to writeHead rather than setHeader per name: node validates each header once either way,
  // but skips building its own header map per request.
  res.writeHead(reply.status, { 'content-type': reply.contentType, ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
  if (reply.after) setImmediate(reply.after);
}

