import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parquetWriteBuffer, type BasicType } from 'hyparquet-writer';
import type { GcsObjects } from './gcs_objects';

/**
 * A strict fake of the three BigQuery REST methods mloop calls, written from Google's public reference
 * (bigquery/v2): jobs.insert (a query job, `POST /projects/{p}/jobs`), jobs.get (`GET .../jobs/{id}`)
 * and jobs.getQueryResults (`GET .../queries/{id}`). A job id used twice is 409 `duplicate`; an unknown
 * job 404 `notFound`; a job that fails is `DONE` with `status.errorResult {reason, message}` (and
 * `status.errors`), and getQueryResults answers it with that error as HTTP 400, as BigQuery does.
 *
 * Its SQL is one statement and no more: `EXPORT DATA OPTIONS(uri='gs://b/p*.parquet', format='PARQUET',
 * overwrite=true) AS SELECT * FROM \`project.dataset.table\` FOR SYSTEM_TIME AS OF TIMESTAMP '…'`, over
 * tables a test registers with their rows as of a time. The export writes real Parquet files into the
 * fake Cloud Storage. Any other statement fails the job with `invalidQuery`; any field, parameter or
 * route it was not written for is answered 400/501 and recorded in `unexpected`, so a test notices when
 * the client does something this fake does not know.
 */
export interface FakeTable {
  columns: Array<{ name: string; type: 'FLOAT64' | 'STRING' | 'BOOL' }>;
  /** The table's rows from `since` on: a snapshot before it finds no table. */
  rows: Array<Record<string, number | string | boolean | null>>;
  since: Date;
}

export interface FakeJob {
  jobReference: { projectId: string; jobId: string; location: string };
  statement: string;
  state: 'RUNNING' | 'DONE';
  errorResult?: { reason: string; message: string };
  files: number;
  rows: number;
}

export interface FakeBigQuery {
  url: string;
  tables: Map<string, FakeTable>;
  jobs: Map<string, FakeJob>;
  requests: string[];
  unexpected: string[];
  /** The next job inserted ends with this error, as a job BigQuery accepted but could not run. */
  failNextJob(error: { reason: string; message: string }): void;
  close(): Promise<void>;
}

const EXPORT = /^EXPORT DATA OPTIONS\(uri='gs:\/\/([a-z0-9._-]+)\/([^'*]*)\*([^'*]*\.parquet)', format='PARQUET', overwrite=true\) AS\s+SELECT \* FROM `([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)` FOR SYSTEM_TIME AS OF TIMESTAMP '(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?\+00)'$/;
const ROWS_PER_FILE = 50;
const PARQUET_TYPES: Record<FakeTable['columns'][number]['type'], BasicType> = { FLOAT64: 'DOUBLE', STRING: 'STRING', BOOL: 'BOOLEAN' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly statusName: string,
  ) {
    super(message);
  }
}
class Unsupported extends HttpError {}

export async function startFakeBigQuery(project: string, gcs: GcsObjects, options: { location?: string; rowsPerFile?: number } = {}): Promise<FakeBigQuery> {
  const location = options.location ?? 'EU';
  const rowsPerFile = options.rowsPerFile ?? ROWS_PER_FILE;
  const tables = new Map<string, FakeTable>();
  const jobs = new Map<string, FakeJob>();
  const requests: string[] = [];
  const unexpected: string[] = [];
  let failure: { reason: string; message: string } | null = null;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let reply: { status: number; json: unknown };
      try {
        reply = { status: 200, json: route(req.method ?? 'GET', url, Buffer.concat(chunks)) };
      } catch (err) {
        const e = err instanceof HttpError ? err : new HttpError(500, 'backendError', (err as Error).message, 'INTERNAL');
        if (err instanceof Unsupported) unexpected.push(`${req.method} ${url.pathname}${url.search}: ${e.message}`);
        reply = { status: e.status, json: { error: { code: e.status, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason }], status: e.statusName } } };
      }
      const body = Buffer.from(JSON.stringify(reply.json));
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': body.length });
      res.end(body);
    });
  });

  function route(method: string, url: URL, body: Buffer): unknown {
    const m = /^\/bigquery\/v2\/projects\/([^/]+)\/(jobs|queries)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) throw new Unsupported(501, 'notImplemented', `no such route in the fake: ${method} ${url.pathname}`, 'UNIMPLEMENTED');
    const [, projectId, kind, jobId] = m;
    if (projectId !== project) throw new HttpError(404, 'notFound', `Not found: Project ${projectId}`, 'NOT_FOUND');
    if (kind === 'jobs' && !jobId && method === 'POST') {
      allowOnly(url.searchParams, []);
      return insert(parseJson(body));
    }
    if (kind === 'jobs' && jobId && method === 'GET') {
      allowOnly(url.searchParams, ['location']);
      return resource(find(decodeURIComponent(jobId), url.searchParams.get('location')));
    }
    if (kind === 'queries' && jobId && method === 'GET') {
      allowOnly(url.searchParams, ['location', 'maxResults', 'timeoutMs', 'formatOptions.useInt64Timestamp', 'startIndex', 'pageToken']);
      const job = find(decodeURIComponent(jobId), url.searchParams.get('location'));
      // The job runs while the client waits on it: the first wait finds it done.
      run(job);
      if (job.errorResult) throw new HttpError(400, job.errorResult.reason, job.errorResult.message, 'INVALID_ARGUMENT');
      return { kind: 'bigquery#getQueryResultsResponse', etag: `"${job.jobReference.jobId}"`, jobReference: job.jobReference, totalRows: '0', jobComplete: true, cacheHit: false };
    }
    throw new Unsupported(501, 'notImplemented', `no such route in the fake: ${method} ${url.pathname}`, 'UNIMPLEMENTED');
  }

  function insert(body: Record<string, unknown>): unknown {
    strict(body, ['jobReference', 'configuration'], 'job');
    const reference = object(body.jobReference, 'jobReference');
    strict(reference, ['projectId', 'jobId', 'location'], 'jobReference');
    const configuration = object(body.configuration, 'configuration');
    strict(configuration, ['query'], 'configuration');
    const query = object(configuration.query, 'configuration.query');
    strict(query, ['query', 'useLegacySql'], 'configuration.query');
    if (query.useLegacySql !== false) throw new Unsupported(400, 'invalid', 'the fake runs GoogleSQL only: useLegacySql must be false', 'INVALID_ARGUMENT');
    if (typeof query.query !== 'string' || !query.query) throw new HttpError(400, 'invalid', 'Required parameter is missing: query', 'INVALID_ARGUMENT');
    const jobId = String(reference.jobId ?? '');
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(jobId)) throw new HttpError(400, 'invalid', `Invalid job ID "${jobId}".`, 'INVALID_ARGUMENT');
    if (reference.projectId !== project) throw new HttpError(400, 'invalid', `Project ${String(reference.projectId)} does not match ${project}`, 'INVALID_ARGUMENT');
    const where = typeof reference.location === 'string' ? reference.location : location;
    if (jobs.has(jobId)) throw new HttpError(409, 'duplicate', `Already Exists: Job ${project}:${where}.${jobId}`, 'ALREADY_EXISTS');
    const job: FakeJob = { jobReference: { projectId: project, jobId, location: where }, statement: query.query, state: 'RUNNING', files: 0, rows: 0 };
    if (failure) {
      job.errorResult = failure;
      failure = null;
    }
    jobs.set(jobId, job);
    return resource(job);
  }

  /** The statement, once: an export writes its files, anything else fails the job. */
  function run(job: FakeJob): void {
    if (job.state === 'DONE') return;
    job.state = 'DONE';
    if (job.errorResult) return;
    const m = EXPORT.exec(job.statement);
    if (!m) {
      job.errorResult = { reason: 'invalidQuery', message: 'Syntax error: the fake runs only EXPORT DATA of SELECT * FROM a table FOR SYSTEM_TIME AS OF a timestamp' };
      return;
    }
    const [, bucket, before, after, p, d, t, at] = m;
    const table = tables.get(`${p}.${d}.${t}`);
    if (!table) {
      job.errorResult = { reason: 'notFound', message: `Not found: Table ${p}:${d}.${t} was not found in location ${job.jobReference.location}` };
      return;
    }
    const snapshot = new Date(at.replace(' ', 'T').replace('+00', 'Z'));
    if (snapshot < table.since) {
      job.errorResult = { reason: 'invalidQuery', message: `Invalid snapshot time ${snapshot.getTime() * 1000} for table ${p}:${d}.${t}. Cannot read before ${table.since.getTime() * 1000}` };
      return;
    }
    if (!gcs.hasBucket(bucket)) {
      job.errorResult = { reason: 'invalid', message: `Bucket ${bucket} does not exist` };
      return;
    }
    const parts = Math.max(1, Math.ceil(table.rows.length / rowsPerFile));
    for (let i = 0; i < parts; i++) {
      const rows = table.rows.slice(i * rowsPerFile, (i + 1) * rowsPerFile);
      const columnData = table.columns.map((c) => ({ name: c.name, type: PARQUET_TYPES[c.type], data: rows.map((r) => r[c.name] ?? null) }));
      const data = Buffer.from(parquetWriteBuffer({ columnData }));
      gcs.insert(bucket, `${before}${String(i).padStart(12, '0')}${after}`, data, { contentType: 'application/octet-stream' }, {});
    }
    job.files = parts;
    job.rows = table.rows.length;
  }

  function find(jobId: string, at: string | null): FakeJob {
    const job = jobs.get(jobId);
    if (!job || (at !== null && at !== job.jobReference.location)) throw new HttpError(404, 'notFound', `Not found: Job ${project}:${at ?? location}.${jobId}`, 'NOT_FOUND');
    return job;
  }

  function resource(job: FakeJob): unknown {
    const id = `${project}:${job.jobReference.location}.${job.jobReference.jobId}`;
    return {
      kind: 'bigquery#job',
      etag: `"${job.jobReference.jobId}"`,
      id,
      selfLink: `${baseUrl}/bigquery/v2/projects/${project}/jobs/${job.jobReference.jobId}?location=${job.jobReference.location}`,
      user_email: 'mloop-train@example.iam.gserviceaccount.com',
      jobReference: job.jobReference,
      configuration: { jobType: 'QUERY', query: { query: job.statement, useLegacySql: false, priority: 'INTERACTIVE' } },
      status: {
        state: job.state,
        ...(job.state === 'DONE' && job.errorResult && { errorResult: job.errorResult, errors: [job.errorResult] }),
      },
      statistics: {
        creationTime: '1764720000000',
        ...(job.state === 'DONE' && !job.errorResult && { query: { statementType: 'EXPORT_DATA', exportDataStatistics: { fileCount: String(job.files), rowCount: String(job.rows) } } }),
      },
    };
  }

  function allowOnly(query: URLSearchParams, allowed: string[]): void {
    for (const key of query.keys()) {
      // prettyPrint is one of the system parameters every Google API takes; the client sends it on each call
      if (key !== 'prettyPrint' && !allowed.includes(key)) throw new Unsupported(400, 'invalid', `the fake does not support the query parameter ${key}`, 'INVALID_ARGUMENT');
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    tables,
    jobs,
    requests,
    unexpected,
    failNextJob: (error) => {
      failure = error;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return object(JSON.parse(body.toString('utf8')), 'body');
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, 'parseError', `Invalid JSON payload received. ${(err as Error).message}`, 'INVALID_ARGUMENT');
  }
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'invalid', `Invalid JSON payload received. ${field} must be an object.`, 'INVALID_ARGUMENT');
  return value as Record<string, unknown>;
}

/** BigQuery rejects an unknown field by name; the fake also rejects a known one it was not written for. */
function strict(value: Record<string, unknown>, allowed: string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Unsupported(400, 'invalid', `Invalid JSON payload received. Unknown name "${key}" at '${field}': the fake does not support it.`, 'INVALID_ARGUMENT');
  }
}
