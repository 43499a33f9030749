import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errorMessage, MloopError } from '../core/errors';
import type { Logger } from '../core/log';
import type { Prediction, PredictOptions, Scorer } from '../ml/scorer';
import type { ClassChoice } from '../ml/explain/explainer';
import { parseFeedbackBody, type FeedbackItem } from '../pipeline/usecases/feedback';
import type { ModelServer } from './model_server';
import type { PredictionLog } from './prediction_log';
import type { Authenticate } from './authenticate';
import { JSON_TYPE, jsonReply, type HttpReply, type HttpRequest } from './http_types';
import { checkInstanceCount, MAX_IMAGES, parseJsonBody, tooLarge } from './limits';
import { checkPredictType, imageInstancesOf, imageSummary } from './image_body';
import type { RouteName, ScoringMetrics } from './metrics';
import { decodeV2Request, encodeV2Outputs, v2ModelMetadata } from './open_inference';
import { decodeV2ImageRequest } from './open_inference_images';
import { openApiDocument } from './openapi';
import { docsReply } from './docs_page';

/**
 * Every scoring route, behind one function from request to reply: the Cloud Function and the
 * node:http servers of `mloop up` and `mloop serve` all call it, so routing, validation, auth, the
 * prediction log and the metrics cannot drift apart between them.
 */
export interface RouterOptions {
  server: () => Promise<ModelServer>;
  log: Logger;
  authenticate: Authenticate | null;
  metrics: ScoringMetrics;
  /** The text `GET /metrics` answers with; by default this process's own metrics. */
  metricsText?: () => Promise<string>;
  maxBodyBytes: number;
  predictionLog?: PredictionLog;
  /** Stores labels sent to POST /feedback; without it the route does not exist. */
  recordFeedback?: (items: FeedbackItem[]) => Promise<number>;
  /** The Cloud Run revision answering (K_REVISION), named in an `x-served-by` header of every reply. */
  revision?: string;
  /** `/docs` without credentials: as the admin API's reads are (unless MLOOP_DASHBOARD_READS=key). */
  docsOpen?: boolean;
}

export type ScoringRouter = (request: HttpRequest) => Promise<HttpReply>;

type Family = 'mloop' | 'kserve';
type Handler = (request: HttpRequest, match: RegExpExecArray) => Promise<HttpReply>;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  name: RouteName;
  family: Family;
  open?: boolean;
  handle: Handler;
}

const PRODUCT_VERSION = '0.1.0';

export function createScoringRouter(options: RouterOptions): ScoringRouter {
  const { metrics, log } = options;
  const openapi = JSON.stringify(openApiDocument(PRODUCT_VERSION));

  /**
   * `images`: the instances came as image files (a raw body or a form), which only an image model reads.
   * An image model's log keeps each image's hash and size, never the image.
   */
  const score = async (
    request: HttpRequest,
    model: string | undefined,
    instances: unknown,
    images = false,
    predictOptions: PredictOptions = {},
    // a V2 path naming a version is answered by that version, never by the canary split
    pinned?: { name: string; scorer: Scorer },
  ) => {
    if (Array.isArray(instances)) checkInstanceCount(instances.length);
    const server = await options.server();
    const requestId = requestIdOf(request.headers);
    const { name, scorer } = pinned ?? servedNow(server, model, requestId) ?? (await server.scorerFor(model, requestId));
    if (images && !scorer.manifest.image) {
      throw new MloopError('unsupported_media_type', `${name} reads a table's features as JSON {"instances": [{feature: value, ...}]}, not image files`);
    }
    if (scorer.manifest.image && Array.isArray(instances) && instances.length > MAX_IMAGES) {
      throw new MloopError('invalid_argument', `too many images: ${instances.length}, at most ${MAX_IMAGES} per request (split the batch)`);
    }
    // a table's model scores on this turn: no promise to wait for
    const result = scorer.predictNow ? scorer.predictNow(instances) : await scorer.predict(instances, predictOptions);
    if (!result.ok) {
      throw new MloopError('invalid_argument', `invalid instances: ${result.errors.slice(0, 5).map((e) => e.message).join('; ')}`, { errors: result.errors });
    }
    const rows = instances as Array<Record<string, unknown>>;
    const logged = scorer.manifest.image ? rows.map((row, i) => imageSummary(row, result.images?.[i])) : rows;
    // every class's probability goes back to a V2 caller, not to the log: the log keeps what /predict answers
    options.predictionLog?.record(requestId, name, scorer.version, logged, predictOptions.probabilities ? result.predictions.map(withoutProbabilities) : result.predictions);
    metrics.scored(name, rows.length);
    return { requestId, name, scorer, predictions: result.predictions, after: shadowOf(server, name, requestId, rows, logged) };
  };

  const shadowOf = (server: ModelServer, name: string, requestId: string, rows: Array<Record<string, unknown>>, logged: unknown[]) => {
    const shadow = server.shadowFor(name);
    if (!shadow) return undefined;
    return () => {
      shadow
        .predict(rows)
        .then((result) => {
          if (result.ok) options.predictionLog?.record(requestId, name, shadow.version, logged, result.predictions, true);
        })
        .catch((err) => log.warn({ model: name, version: shadow.version, err: errorMessage(err) }, 'shadow scoring failed'));
    };
  };

  /** Each row's contributions (all, or the topK largest), from the version the canary split picks. */
  const explain = async (request: HttpRequest, model: string, body: ExplainBody) => {
    const { instances } = body;
    if (Array.isArray(instances)) checkInstanceCount(instances.length);
    const topK = explainTopK(body, true) ?? undefined;
    const choice = classChoice(body);
    const requestId = requestIdOf(request.headers);
    const { name, scorer } = await (await options.server()).scorerFor(model, requestId);
    const result = await explainWith(scorer, instances, topK, choice);
    return { requestId, name, version: scorer.version, explanations: result };
  };

  /** /score and /predict: image files (an image model), or JSON {"instances": [...]}; /score may ask for explanations beside. */
  const scoreBody = async (request: HttpRequest, model: string | undefined, explainable = false) => {
    // a JSON body (the common case) is never images: no promise to wait for
    const type = request.headers['content-type'];
    const images = type === undefined || type.startsWith('application/json') ? null : await imageInstancesOf(request.headers, request.body);
    if (images) return { ...(await score(request, model, images, true)), explanations: undefined };
    const body = parseJsonBody(request.body) as { instances?: unknown; explain?: unknown; explain_top_k?: unknown };
    if (!body || typeof body !== 'object' || Array.isArray(body) || !('instances' in body)) {
      throw new MloopError(
        'invalid_argument',
        'the body must be a JSON object {"instances": [{feature: value, ...}]} sent as application/json (an image model: {"instances": [{"b64": "..."}]}, an image file, or multipart/form-data)',
      );
    }
    const topK = explainable ? explainTopK(body) : null;
    const scored = await score(request, model, body.instances);
    const explanations = topK === null ? undefined : await explainWith(scored.scorer, body.instances, topK);
    return { ...scored, explanations };
  };

  const routes: Route[] = [
    {
      method: 'GET', pattern: /^\/health(?:z)?\/?$/, name: 'health', family: 'mloop', open: true,
      handle: async () => jsonReply(200, health(await options.server())),
    },
    { method: 'GET', pattern: /^\/v2\/health\/live\/?$/, name: 'v2_live', family: 'kserve', open: true, handle: async () => jsonReply(200, { live: true }) },
    {
      method: 'GET', pattern: /^\/v2\/health\/ready\/?$/, name: 'v2_ready', family: 'kserve', open: true,
      // A Cloud Run revision's startup probe: ready once every version it was deployed with is warm.
      handle: async () => {
        const ready = (await options.server()).ready();
        return jsonReply(ready ? 200 : 503, { ready });
      },
    },
    {
      method: 'GET', pattern: /^\/metrics\/?$/, name: 'metrics', family: 'mloop',
      handle: async () => ({ status: 200, body: await (options.metricsText ?? (() => metrics.text()))(), contentType: metrics.contentType }),
    },
    { method: 'GET', pattern: /^\/openapi\.json$/, name: 'openapi', family: 'mloop', handle: async () => ({ status: 200, body: openapi, contentType: JSON_TYPE }) },
    { method: 'GET', pattern: /^\/docs(?:\/([A-Za-z0-9._-]+))?\/?$/, name: 'docs', family: 'mloop', open: options.docsOpen ?? false, handle: async (_request, match) => docsReply(match[1], openapi) },
    {
      method: 'POST', pattern: /^\/(?:score(?:\/([^/]+))?)?\/?$/, name: 'score', family: 'mloop',
      handle: async (request, match) => {
        const scored = await scoreBody(request, match[1] ? modelOf(match[1]) : undefined, true);
        const predictions = scored.explanations ? scored.predictions.map((p, i) => ({ ...p, explanation: scored.explanations![i] })) : scored.predictions;
        const reply = jsonReply(200, { request_id: scored.requestId, model: scored.name, model_version: scored.scorer.version, predictions });
        reply.after = scored.after;
        return reply;
      },
    },
    {
      method: 'POST', pattern: /^\/predict\/([^/]+)\/?$/, name: 'predict', family: 'mloop',
      handle: async (request, match) => {
        checkPredictType(request.headers);
        const scored = await scoreBody(request, modelOf(match[1]));
        const reply = jsonReply(200, { request_id: scored.requestId, model: scored.name, model_version: scored.scorer.version, predictions: scored.predictions });
        reply.after = scored.after;
        return reply;
      },
    },
    {
      method: 'POST', pattern: /^\/v1\/models\/([^/:]+):predict$/, name: 'v1_predict', family: 'kserve',
      handle: async (request, match) => {
        const body = parseJsonBody(request.body) as { instances?: unknown };
        if (!body || typeof body !== 'object' || Array.isArray(body) || !('instances' in body)) {
          throw new MloopError('invalid_argument', 'the body must be a JSON object {"instances": [{feature: value, ...}]}');
        }
        const scored = await score(request, modelOf(match[1]), body.instances);
        const reply = jsonReply(200, { predictions: scored.predictions }, { 'x-request-id': scored.requestId, 'x-model-version': scored.scorer.version });
        reply.after = scored.after;
        return reply;
      },
    },
    {
      method: 'POST', pattern: /^\/explain\/([^/]+)\/?$/, name: 'explain', family: 'mloop',
      handle: async (request, match) => {
        const explained = await explain(request, modelOf(match[1]), instancesBody(request));
        return jsonReply(200, { request_id: explained.requestId, model: explained.name, model_version: explained.version, explanations: explained.explanations });
      },
    },
    {
      method: 'POST', pattern: /^\/v1\/models\/([^/:]+):explain$/, name: 'v1_explain', family: 'kserve',
      handle: async (request, match) => {
        const explained = await explain(request, modelOf(match[1]), instancesBody(request));
        return jsonReply(200, { model_version: explained.version, explanations: explained.explanations }, { 'x-request-id': explained.requestId, 'x-model-version': explained.version });
      },
    },
    {
      method: 'GET', pattern: /^\/v1\/models\/([^/:]+)\/?$/, name: 'v1_model', family: 'kserve',
      handle: async (_request, match) => {
        const { name } = await (await options.server()).scorerFor(modelOf(match[1]));
        return jsonReply(200, { name, ready: true });
      },
    },
    { method: 'GET', pattern: /^\/v2\/?$/, name: 'v2_server', family: 'kserve', handle: async () => jsonReply(200, { name: 'mloop', version: PRODUCT_VERSION, extensions: [] }) },
    {
      method: 'GET', pattern: /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/?$/, name: 'v2_model', family: 'kserve',
      handle: async (_request, match) => {
        const { name, scorer } = await versioned(await options.server(), modelOf(match[1]), match[2]);
        return jsonReply(200, v2ModelMetadata(name, scorer.manifest));
      },
    },
    {
      method: 'GET', pattern: /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/ready\/?$/, name: 'v2_model_ready', family: 'kserve',
      handle: async (_request, match) => {
        const { name } = await versioned(await options.server(), modelOf(match[1]), match[2]);
        return jsonReply(200, { name, ready: true });
      },
    },
    {
      method: 'POST', pattern: /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/, name: 'v2_infer', family: 'kserve',
      handle: async (request, match) => {
        const body = parseJsonBody(request.body);
        const server = await options.server();
        const found = await versioned(server, modelOf(match[1]), match[2]);
        // an image model reads one BYTES tensor of base64 files, a table's model one tensor per feature
        const image = found.scorer.manifest.image !== undefined;
        const decoded = image ? decodeV2ImageRequest(body) : decodeV2Request(body);
        const scored = await score(request, modelOf(match[1]), decoded.instances, false, { probabilities: image }, match[2] === undefined ? undefined : found);
        const outputs = encodeV2Outputs(scored.scorer.manifest, scored.predictions, decoded.outputs);
        const reply = jsonReply(200, { model_name: scored.name, model_version: scored.scorer.version, id: decoded.id ?? scored.requestId, outputs });
        reply.after = scored.after;
        return reply;
      },
    },
  ];
  if (options.recordFeedback) {
    const record = options.recordFeedback;
    routes.push({
      method: 'POST', pattern: /^\/feedback\/?$/, name: 'feedback', family: 'mloop',
      handle: async (request) => jsonReply(200, { recorded: await record(parseFeedbackBody(parseJsonBody(request.body))) }),
    });
  }

  return async (request) => {
    const started = performance.now();
    let name: RouteName = 'unknown';
    let family: Family = request.path.startsWith('/v1/') || request.path.startsWith('/v2') ? 'kserve' : 'mloop';
    let reply: HttpReply;
    try {
      const found = findRoute(routes, request);
      if (!found) throw new MloopError('not_found', `no route ${request.method} ${request.path}`);
      if ('wrongMethod' in found) {
        throw new MloopError('not_found', `use ${found.wrongMethod.method} ${request.path}${found.wrongMethod.method === 'POST' ? ' with a JSON body' : ''}`);
      }
      ({ name, family } = found.route);
      if (!found.route.open && options.authenticate) await options.authenticate(request.headers);
      if (request.oversized || request.body.length > options.maxBodyBytes) throw tooLarge(options.maxBodyBytes);
      reply = await found.route.handle(request, found.match);
    } catch (err) {
      reply = errorReply(err, family, log);
    }
    metrics.observe(name, reply.status, (performance.now() - started) / 1000);
    if (options.revision) reply.headers = { ...reply.headers, 'x-served-by': options.revision };
    return reply;
  };
}

/** Contributions listed per row by default on /score with `"explain": true`. */
export const EXPLAIN_TOP_K = 5;
const MAX_TOP_K = 1000;

type ExplainBody = { instances: unknown; explain_top_k?: unknown; class?: unknown; classes?: unknown };

function instancesBody(request: HttpRequest): ExplainBody {
  const body = parseJsonBody(request.body) as { instances?: unknown };
  if (!body || typeof body !== 'object' || Array.isArray(body) || !('instances' in body)) {
    throw new MloopError('invalid_argument', 'the body must be a JSON object {"instances": [{feature: value, ...}]}');
  }
  return body as ExplainBody;
}

/** An explain route's `"class": "<name>"` or `"classes": "all"` (a multiclass model); neither: the predicted class. */
function classChoice(body: ExplainBody): ClassChoice | undefined {
  if (body.class !== undefined && body.classes !== undefined) throw new MloopError('invalid_argument', 'give "class" or "classes", not both');
  if (body.class !== undefined) {
    if (typeof body.class !== 'string' || body.class === '') throw new MloopError('invalid_argument', '"class" must be the name of one of the model\'s classes');
    return { class: body.class };
  }
  if (body.classes !== undefined) {
    if (body.classes !== 'all') throw new MloopError('invalid_argument', '"classes" can only be "all" (or give one "class")');
    return { classes: 'all' };
  }
  return undefined;
}

/**
 * How many contributions to list per row: null when /score was not asked to explain; on an explain
 * route (`always`), every feature unless `explain_top_k` says fewer.
 */
function explainTopK(body: { explain?: unknown; explain_top_k?: unknown }, always = false): number | null {
  if (!always && body.explain !== true) {
    if (body.explain !== undefined && body.explain !== false) throw new MloopError('invalid_argument', '"explain" must be true or false');
    return null;
  }
  const k = body.explain_top_k;
  if (k === undefined) return always ? null : EXPLAIN_TOP_K;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_TOP_K) throw new MloopError('invalid_argument', `"explain_top_k" must be an integer from 1 to ${MAX_TOP_K}`);
  return k;
}

async function explainWith(scorer: Scorer, instances: unknown, topK?: number, choice?: ClassChoice) {
  if (!scorer.explain) throw new MloopError('failed_precondition', `${scorer.manifest.model} ${scorer.version} cannot be explained`);
  const result = await scorer.explain(instances, topK, choice);
  if (!result.ok) throw new MloopError('invalid_argument', `invalid instances: ${result.errors.slice(0, 5).map((e) => e.message).join('; ')}`, { errors: result.errors });
  return result.explanations;
}

function withoutProbabilities(prediction: Prediction): Prediction {
  if (!('top_k' in prediction) || !prediction.probabilities) return prediction;
  const { probabilities: _, ...rest } = prediction;
  return rest;
}

function findRoute(routes: Route[], request: HttpRequest): { route: Route; match: RegExpExecArray } | { wrongMethod: Route } | null {
  let other: Route | null = null;
  for (const route of routes) {
    const match = route.pattern.exec(request.path);
    if (!match) continue;
    if (route.method === request.method || (route.method === 'GET' && request.method === 'HEAD')) return { route, match };
    other ??= route;
  }
  return other ? { wrongMethod: other } : null;
}

function modelOf(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MloopError('invalid_argument', `the path segment "${raw.slice(0, 64)}" is not valid percent-encoding`);
  }
}

/**
 * The scorer as the server holds it now, without a promise: what scorerFor answers first. Null when it
 * has none, and then scorerFor decides (it may look at the registry again, or throw the same error).
 */
function servedNow(server: ModelServer, model: string | undefined, requestId: string): { name: string; scorer: Scorer } | null {
  try {
    return server.resolve(model, requestId);
  } catch {
    return null;
  }
}

/** A V2 path may name a version: only a version served answers (either side of a canary). */
function versioned(server: ModelServer, model: string, version: string | undefined): Promise<{ name: string; scorer: Scorer }> {
  return version === undefined ? server.scorerFor(model) : server.scorerAt(model, modelOf(version));
}

/** The caller's id when it sends one (to join feedback later), else a fresh one. */
function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

function health(server: ModelServer) {
  const versions = server.versions();
  const names = Object.keys(versions);
  return { status: 'ok', model_version: names.length === 1 ? versions[names[0]] : null, model_loaded: names.length > 0, models: versions };
}

/**
 * mloop's own routes answer `{"error": {"code", "message", ...}}`; the KServe ones `{"error": "<message>"}`
 * as their protocols say, with the per-field list beside it. Only a genuine bug is a 500.
 */
function errorReply(err: unknown, family: Family, log: Logger): HttpReply {
  if (err instanceof MloopError) {
    if (family === 'kserve') return jsonReply(err.httpStatus, { error: err.message, code: err.code, ...(err.details ?? {}) });
    return jsonReply(err.httpStatus, { error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
  }
  log.error({ err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, 'unhandled error');
  return jsonReply(500, family === 'kserve' ? { error: 'internal error', code: 'internal' } : { error: { code: 'internal', message: 'internal error' } });
}

