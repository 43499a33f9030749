import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GcsError, GcsObjects, checkObjectName, objectResource, preconditionsFrom, type NewObject, type Preconditions } from './gcs_objects';

/**
 * A strict fake of the Cloud Storage JSON API on 127.0.0.1, written from Google's public reference:
 * objects get (metadata and `alt=media`, with `x-goog-hash`), list (prefix, delimiter, pages), delete,
 * and insert by media, multipart and resumable upload (sessions, `Content-Range`, 308 with `Range`,
 * 256 KiB chunk granularity, status queries). Generations, the four precondition parameters (412),
 * 404s, MD5/CRC32C checks on upload and name rules behave as Cloud Storage documents them. A request
 * it does not know — a route, a query parameter, a metadata field — is answered 501 and recorded in
 * `unexpected`, so a test notices when the client does something this fake was not written for.
 */
export interface FakeGcs {
  url: string;
  objects: GcsObjects;
  /** Every request, as `METHOD path?query`. */
  requests: string[];
  unexpected: string[];
  /** Requests the server hung up on without answering, as `METHOD path?query`. */
  dropped: string[];
  /**
   * A fault switch: the next `n` requests (of those whose `METHOD path?query` matches `only`) are not
   * answered; the server destroys their connection instead, as one does that closed an idle
   * keep-alive connection just as the client reused it.
   */
  dropNextRequests(n: number, only?: RegExp): void;
  close(): Promise<void>;
}

interface UploadSession {
  bucket: string;
  name: string;
  fields: NewObject;
  preconditions: Preconditions;
  declaredSize?: number;
  received: Buffer;
  done?: ReturnType<typeof objectResource>;
}

const CHUNK = 256 * 1024;
const MAX_BODY = 256 * 1024 * 1024;
const METADATA_FIELDS = new Set(['name', 'contentType', 'md5Hash', 'crc32c', 'metadata']);
const COMMON_PARAMS = ['alt', 'prettyPrint', 'projection', 'userProject', 'fields'];

export async function startFakeGcs(buckets: string[]): Promise<FakeGcs> {
  const objects = new GcsObjects();
  for (const bucket of buckets) objects.createBucket(bucket);
  const sessions = new Map<string, UploadSession>();
  const requests: string[] = [];
  const unexpected: string[] = [];
  const dropped: string[] = [];
  let toDrop = { n: 0, only: /(?:)/ };
  let baseUrl = '';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const request = `${req.method} ${url.pathname}${url.search}`;
    requests.push(request);
    if (toDrop.n > 0 && toDrop.only.test(request)) {
      toDrop.n--;
      dropped.push(request);
      req.socket.destroy();
      return;
    }
    readBody(req)
      .then((body) => route(req, url, body))
      .then(
        (reply) => send(res, reply),
        (err: unknown) => {
          if (err instanceof Unsupported) unexpected.push(`${req.method} ${url.pathname}${url.search}: ${err.message}`);
          const status = err instanceof GcsError ? err.status : err instanceof Unsupported ? 501 : 500;
          const reason = err instanceof GcsError ? err.reason : 'backendError';
          send(res, { status, json: { error: { code: status, message: (err as Error).message, errors: [{ message: (err as Error).message, domain: 'global', reason }] } } });
        },
      );
  });
  // Google's front ends keep an idle HTTP/1.1 connection for minutes; node's default of 5 s would close
  // one between two writes of a training job and make the fake drop requests that the real service
  // answers (an unconditioned write, which the client does not send again, then fails on EPIPE). The
  // dropNextRequests switch is how a test asks for a dropped connection.
  server.keepAliveTimeout = 600_000;

  function route(req: http.IncomingMessage, url: URL, body: Buffer): Reply {
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if ((match = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)) && req.method === 'GET') {
      return list(decodeURIComponent(match[1]), url.searchParams);
    }
    if ((match = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
      const bucket = decodeURIComponent(match[1]);
      const name = decodeURIComponent(match[2]);
      if (req.method === 'GET') return getObject(req, bucket, name, url.searchParams);
      if (req.method === 'DELETE') {
        allowOnly(url.searchParams, ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch', 'generation']);
        objects.delete(bucket, name, preconditionsFrom(url.searchParams));
        return { status: 204 };
      }
    }
    if ((match = /^\/storage\/v1\/b\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const bucket = decodeURIComponent(match[1]);
      if (!objects.hasBucket(bucket)) throw new GcsError(404, 'notFound', 'The specified bucket does not exist.');
      return { status: 200, json: { kind: 'storage#bucket', id: bucket, name: bucket } };
    }
    if ((match = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path))) {
      const bucket = decodeURIComponent(match[1]);
      const uploadId = url.searchParams.get('upload_id');
      if (uploadId !== null && req.method === 'PUT') return resumeUpload(req, uploadId, body);
      if (req.method === 'POST') return startUpload(req, bucket, url.searchParams, body);
    }
    throw new Unsupported(`no such route in the fake: ${req.method} ${path}`);
  }

  function list(bucket: string, query: URLSearchParams): Reply {
    allowOnly(query, ['prefix', 'delimiter', 'maxResults', 'pageToken', 'includeTrailingDelimiter', 'fields']);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter');
    const maxResults = Math.min(Number(query.get('maxResults') ?? 1000), 1000);
    const after = query.get('pageToken') ? Buffer.from(query.get('pageToken')!, 'base64url').toString('utf8') : null;
    const items: ReturnType<typeof objectResource>[] = [];
    const prefixes = new Set<string>();
    let nextPageToken: string | undefined;
    for (const object of objects.list(bucket, prefix)) {
      if (after !== null && Buffer.compare(Buffer.from(object.name), Buffer.from(after)) <= 0) continue;
      const rest = object.name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter!.length));
      else items.push(objectResource(object, baseUrl));
      if (items.length + prefixes.size >= maxResults) {
        nextPageToken = Buffer.from(object.name).toString('base64url');
        break;
      }
    }
    const json = { kind: 'storage#objects', ...(items.length && { items }), ...(prefixes.size && { prefixes: [...prefixes] }), ...(nextPageToken && { nextPageToken }) };
    const fields = query.get('fields');
    return { status: 200, json: fields === null ? json : partialList(json, fields) };
  }

  function getObject(req: http.IncomingMessage, bucket: string, name: string, query: URLSearchParams): Reply {
    allowOnly(query, ['generation', 'ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch']);
    const generation = query.get('generation');
    if (generation !== null && !/^\d+$/.test(generation)) throw new GcsError(400, 'invalid', `Invalid argument: generation=${generation}`);
    const object = objects.get(bucket, name, preconditionsFrom(query), generation === null ? undefined : BigInt(generation));
    if (query.get('alt') !== 'media') return { status: 200, json: objectResource(object, baseUrl) };
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': String(object.metageneration),
      'x-goog-stored-content-length': String(object.data.length),
      'x-goog-stored-content-encoding': 'identity',
      etag: objectResource(object, baseUrl).etag,
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (req.headers.range && !range) throw new Unsupported(`range ${req.headers.range}`);
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), object.data.length - 1) : object.data.length - 1;
      if (start >= object.data.length) throw new GcsError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.');
      return { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${object.data.length}` }, body: object.data.subarray(start, end + 1) };
    }
    return { status: 200, headers, body: object.data };
  }

  function startUpload(req: http.IncomingMessage, bucket: string, query: URLSearchParams, body: Buffer): Reply {
    const type = query.get('uploadType');
    allowOnly(query, ['uploadType', 'name', 'ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch']);
    const preconditions = preconditionsFrom(query);
    if (!objects.hasBucket(bucket)) throw new GcsError(404, 'notFound', 'The specified bucket does not exist.');
    if (type === 'media') {
      const name = checkObjectName(query.get('name'));
      const object = objects.insert(bucket, name, body, { contentType: req.headers['content-type'], ...hashHeader(req) }, preconditions);
      return { status: 200, json: objectResource(object, baseUrl) };
    }
    if (type === 'multipart') {
      const [metadataPart, media] = multipartParts(req, body);
      const fields = metadataFields(metadataPart.body);
      const name = checkObjectName(query.get('name') ?? fields.name ?? null);
      const object = objects.insert(bucket, name, media.body, { ...fields, contentType: fields.contentType ?? media.contentType, ...hashHeader(req) }, preconditions);
      return { status: 200, json: objectResource(object, baseUrl) };
    }
    if (type === 'resumable') {
      const fields = body.length ? metadataFields(body) : {};
      const name = checkObjectName(query.get('name') ?? fields.name ?? null);
      objects.checkWrite(bucket, name, preconditions);
      const declared = req.headers['x-upload-content-length'];
      const id = randomBytes(16).toString('hex');
      sessions.set(id, {
        bucket,
        name,
        fields: { ...fields, contentType: fields.contentType ?? header(req, 'x-upload-content-type') },
        preconditions,
        ...(declared !== undefined && { declaredSize: Number(declared) }),
        received: Buffer.alloc(0),
      });
      const location = `${baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      return { status: 200, headers: { location } };
    }
    throw new GcsError(400, 'invalid', `Invalid upload type: ${type}`);
  }

  /** One request of a resumable upload: a chunk, the last chunk, or a status query (`bytes *\/T`). */
  function resumeUpload(req: http.IncomingMessage, id: string, body: Buffer): Reply {
    const session = sessions.get(id);
    if (!session) throw new GcsError(404, 'notFound', 'No such upload session.');
    if (session.done) return { status: 200, json: session.done };
    const range = /^bytes (?:(\d+)-(\d+|\*)|\*)\/(\d+|\*)$/.exec(header(req, 'content-range') ?? '');
    if (!range) throw new GcsError(400, 'invalid', `Invalid Content-Range: ${header(req, 'content-range')}`);
    const total = range[3] === '*' ? undefined : Number(range[3]);
    if (range[1] !== undefined) {
      const start = Number(range[1]);
      if (range[2] !== '*' && Number(range[2]) - start + 1 !== body.length) throw new GcsError(400, 'invalid', 'Content-Range does not match the request body length.');
      if (start > session.received.length) throw new GcsError(400, 'invalid', `Chunk starts at ${start}, but only ${session.received.length} bytes were persisted.`);
      // Bytes the server already has are skipped, so a client resending a chunk is harmless.
      const fresh = body.subarray(session.received.length - start);
      const all = Buffer.concat([session.received, fresh]);
      // `S-*` streams the rest of the object in this one request: its end is the object's end.
      const streamedToEnd = range[2] === '*';
      const final = streamedToEnd || (total !== undefined && all.length >= total);
      if ((total !== undefined && all.length > total) || (streamedToEnd && total !== undefined && all.length !== total)) {
        throw new GcsError(400, 'invalid', `Received ${all.length} bytes for an object declared ${total} bytes long.`);
      }
      session.received = final ? all : all.subarray(0, all.length - (all.length % CHUNK));
      if (streamedToEnd) return finishUpload(req, session);
    }
    if (total === undefined || session.received.length < total) {
      const headers: Record<string, string> = session.received.length ? { range: `bytes=0-${session.received.length - 1}` } : {};
      return { status: 308, headers };
    }
    return finishUpload(req, session);
  }

  function finishUpload(req: http.IncomingMessage, session: UploadSession): Reply {
    if (session.declaredSize !== undefined && session.declaredSize !== session.received.length) {
      throw new GcsError(400, 'invalid', `X-Upload-Content-Length was ${session.declaredSize}, but the upload has ${session.received.length} bytes.`);
    }
    const object = objects.insert(session.bucket, session.name, session.received, { ...session.fields, ...hashHeader(req) }, session.preconditions);
    session.done = objectResource(object, baseUrl);
    return { status: 200, json: session.done };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    objects,
    requests,
    unexpected,
    dropped,
    dropNextRequests: (n, only = /(?:)/) => {
      toDrop = { n, only };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

class Unsupported extends Error {}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: Buffer;
}

function send(res: http.ServerResponse, reply: Reply): void {
  const body = reply.json !== undefined ? Buffer.from(JSON.stringify(reply.json)) : (reply.body ?? Buffer.alloc(0));
  const headers: Record<string, string | number> = { ...reply.headers, 'content-length': body.length };
  if (reply.json !== undefined) headers['content-type'] = 'application/json; charset=UTF-8';
  res.writeHead(reply.status, headers);
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new GcsError(413, 'uploadTooLarge', 'The fake keeps request bodies of at most 256 MiB.'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A partial response (the JSON API's `fields` selector), in the one form a list is asked for here:
 * top-level fields, and `items(...)` with the object fields to keep. Any other syntax is refused.
 */
function partialList(json: Record<string, unknown>, fields: string): Record<string, unknown> {
  if (!/^(?:[a-zA-Z]+|items\([a-zA-Z,]+\))(?:,(?:[a-zA-Z]+|items\([a-zA-Z,]+\)))*$/.test(fields)) throw new Unsupported(`fields selector ${fields}`);
  const picked: Record<string, unknown> = {};
  for (const part of fields.match(/items\([^)]*\)|[a-zA-Z]+/g)!) {
    if (!part.startsWith('items(')) {
      if (json[part] !== undefined) picked[part] = json[part];
      continue;
    }
    const keep = part.slice(6, -1).split(',');
    const items = json.items as Array<Record<string, unknown>> | undefined;
    if (items) picked.items = items.map((item) => Object.fromEntries(keep.filter((k) => item[k] !== undefined).map((k) => [k, item[k]])));
  }
  return picked;
}

function allowOnly(query: URLSearchParams, allowed: string[]): void {
  for (const key of query.keys()) {
    if (!allowed.includes(key) && !COMMON_PARAMS.includes(key)) throw new Unsupported(`query parameter ${key}`);
  }
}

/** `X-Goog-Hash: crc32c=...,md5=...`: checksums the server verifies before it creates the object. */
function hashHeader(req: http.IncomingMessage): Pick<NewObject, 'md5Hash' | 'crc32c'> {
  const found: Pick<NewObject, 'md5Hash' | 'crc32c'> = {};
  for (const part of (header(req, 'x-goog-hash') ?? '').split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    const [kind, value] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (kind === 'md5') found.md5Hash = value;
    else if (kind === 'crc32c') found.crc32c = value;
    else throw new GcsError(400, 'invalid', `Unknown checksum in X-Goog-Hash: ${kind}`);
  }
  return found;
}

function metadataFields(json: Buffer): NewObject & { name?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new GcsError(400, 'parseError', 'Parse Error: object metadata is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GcsError(400, 'invalid', 'Object metadata must be a JSON object.');
  for (const key of Object.keys(parsed)) {
    if (!METADATA_FIELDS.has(key)) throw new Unsupported(`object metadata field ${key}`);
  }
  return parsed as NewObject & { name?: string };
}

/** The two parts of a `multipart/related` upload: JSON metadata, then the media. */
function multipartParts(req: http.IncomingMessage, body: Buffer): Array<{ contentType?: string; body: Buffer }> {
  const boundary = /boundary="?([^";]+)"?/.exec(header(req, 'content-type') ?? '')?.[1];
  if (!/^multipart\/related/.test(header(req, 'content-type') ?? '') || !boundary) {
    throw new GcsError(400, 'invalid', 'A multipart upload needs Content-Type: multipart/related with a boundary.');
  }
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Array<{ contentType?: string; body: Buffer }> = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new GcsError(400, 'invalid', 'Unterminated multipart body.');
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4, part.length - 2);
    parts.push({ contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim(), body: content });
    at = next;
  }
  if (parts.length !== 2) throw new GcsError(400, 'invalid', `A multipart upload has exactly 2 parts, got ${parts.length}.`);
  return parts;
}
