/** The jobs API of the admin router (run_routes.ts), for openapi.ts; the page sizes are read_models/run_page.ts's. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, ...json(ref('Error')) });
const runId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const query = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export const runPaths = {
  '/api/runs': {
    get: {
      summary: 'Training runs, newest first, filtered, one page at a time',
      description: 'The page token is a cursor over (created_at, id): runs created while a client pages never shift or repeat a page.',
      parameters: [
        query('model', 'only this model'),
        query('status', 'only runs in this status', { type: 'string', enum: STATUSES }),
        query('algorithm', 'only runs of this model family'),
        query('since', 'only runs created at or after this ISO 8601 date or time', { type: 'string', format: 'date-time' }),
        { ...query('tag', 'key:value; only runs with every tag given', { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,63}:' } }), style: 'form', explode: true },
        query('limit', `runs per page (default ${DEFAULT_PAGE_SIZE})`, { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE }),
        query('page_token', 'next_page_token of the previous page, unchanged'),
      ],
      responses: { '200': { description: 'one page', ...json(ref('RunPage')) }, '400': error('a parameter that does not parse, named') },
    },
    post: {
      summary: 'Start a training run on a model (a manual retraining with overrides)',
      description:
        'Idempotent with an Idempotency-Key header or a request_id in the body: the same key and body answer the same run (200), the same key with another body is a 409. Without a key every call starts a run.',
      parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 200 } }],
      requestBody: { required: true, ...json(ref('StartRunRequest')) },
      responses: {
        '201': { description: 'requested; the run is created by the launcher moments later', headers: { Location: { schema: { type: 'string' } } }, ...json(ref('StartedRun')) },
        '200': { description: 'a replay of an earlier request with the same key', ...json(ref('StartedRun')) },
        '400': error('a field that does not parse, named in error.field'),
        '401': error('missing or wrong credentials'),
        '404': error('no such model or dataset version'),
        '409': error('the idempotency key was used with another body, or the dataset was rejected'),
      },
    },
  },
  '/api/runs/{id}/cancel': {
    post: {
      summary: 'Cancel a queued or running run',
      description: 'The run ends cancelled with cancelled_by and cancel_reason; its job is stopped, it is never retried, and the freed slot starts the next queued run.',
      parameters: [runId],
      requestBody: { required: false, ...json({ type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } }) },
      responses: {
        '200': { description: 'the cancelled run', ...json(ref('Run')) },
        '401': error('missing or wrong credentials'),
        '404': error('no such run'),
        '409': error('the run has already ended: error.status says how'),
      },
    },
  },
  '/api/runs/{id}/logs': {
    get: {
      summary: "The log of a run's current or last execution",
      description:
        'Locally a slice of the job process output (its tail, or from offset; follow with offset=log.nextOffset until finished). On Google Cloud the Cloud Logging filter of the Cloud Run job execution and a console link.',
      parameters: [runId, query('offset', 'bytes from the start of the log', { type: 'integer', minimum: 0 }), query('max_bytes', 'at most this many bytes (default 65536, at most 1 MiB)', { type: 'integer', minimum: 1 })],
      responses: { '200': { description: 'the log or where it is', ...json(ref('RunLogs')) }, '404': error('no such run') },
    },
  },
};

export const runSchemas = {
  StartRunRequest: {
    type: 'object',
    required: ['model', 'reason'],
    additionalProperties: false,
    properties: {
      model: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' },
      dataset_version: { type: 'string', description: "default: the model's newest upload" },
      algorithm: { type: 'string', description: 'a model family' },
      params: { type: 'object', additionalProperties: true },
      search: { description: 'a parameter search, as in mloop.json' },
      sample: { type: 'integer', minimum: 1 },
      reason: { type: 'string', minLength: 1, maxLength: 500 },
      tags: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
      request_id: { type: 'string', minLength: 1, maxLength: 200, description: 'an idempotency key, as the Idempotency-Key header' },
    },
  },
  StartedRun: {
    type: 'object',
    properties: {
      run_id: { type: 'string' },
      request_id: { type: 'string' },
      model: { type: 'string' },
      dataset_version: { type: 'string' },
      replayed: { type: 'boolean' },
      run: { allOf: [ref('Run')], nullable: true },
    },
  },
  Run: {
    type: 'object',
    description: 'a run as GET /api/runs lists it (GET /api/runs/{id} returns the whole document)',
    properties: {
      id: { type: 'string' },
      model: { type: 'string' },
      model_version: { type: 'string' },
      dataset_version: { type: 'string' },
      status: { type: 'string', enum: STATUSES },
      attempt: { type: 'integer' },
      reason: { type: 'string' },
      algorithm: { type: 'string', nullable: true },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
      cancelled_by: { type: 'string', nullable: true },
      cancel_reason: { type: 'string', nullable: true },
      created_at: { type: 'string', format: 'date-time' },
      finished_at: { type: 'string', format: 'date-time', nullable: true },
    },
    additionalProperties: true,
  },
  RunPage: { type: 'object', properties: { runs: { type: 'array', items: ref('Run') }, next_page_token: { type: 'string', nullable: true } } },
  RunLogs: {
    type: 'object',
    properties: {
      run_id: { type: 'string' },
      status: { type: 'string', enum: STATUSES },
      finished: { type: 'boolean' },
      attempt: { type: 'integer' },
      execution_id: { type: 'string', nullable: true },
      log: {
        nullable: true,
        oneOf: [
          { type: 'object', properties: { kind: { type: 'string', enum: ['text'] }, text: { type: 'string' }, offset: { type: 'integer' }, nextOffset: { type: 'integer' }, size: { type: 'integer' } } },
          { type: 'object', properties: { kind: { type: 'string', enum: ['cloud_logging'] }, filter: { type: 'string' }, url: { type: 'string' } } },
        ],
      },
    },
  },
};
