/**
 * The admin API (`/api/...`, admin_api.ts) in the OpenAPI document: what the CLI and the dashboard
 * read, and the moves they make. test/unit/serving/openapi.test.ts walks the admin router and fails on
 * any route missing here (or in openapi.ts).
 */
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = { $ref: '#/components/schemas/Error' };
const ok = (description: string, schema: object = { type: 'object' }) => ({ '200': { description, ...json(schema) } });
const fails = (...codes: string[]) => Object.fromEntries(codes.map((code) => [code, { description: FAILURES[code], ...json(error) }]));
const FAILURES: Record<string, string> = {
  '400': 'bad input, with the reason',
  '401': 'missing or wrong credentials (actions; reads too with MLOOP_DASHBOARD_READS=key)',
  '404': 'no such model, version, run or file',
  '409': 'the registry does not allow it now (a stage, a label taken)',
  '413': 'the body is over the size limit',
  '415': 'the body is not a zip',
};
const path = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const model = path('model', 'the model name');
const version = path('version', 'vN, or the human label the version was given (1.0.0)');
const id = (what: string) => path('id', what);
const modelQuery = { name: 'model', in: 'query', schema: { type: 'string' }, description: 'only this model' };
const paging = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 }, description: 'page size; with limit or page_token the answer is one page {items, next_page_token}' },
  { name: 'page_token', in: 'query', schema: { type: 'string' }, description: 'next_page_token of the previous page' },
];
const listOrPage = (items: object) => ({ oneOf: [{ type: 'array', items }, { type: 'object', required: ['items', 'next_page_token'], properties: { items: { type: 'array', items }, next_page_token: { type: 'string', nullable: true } } }] });
const reasonBody = { required: false, ...json({ type: 'object', properties: { reason: { type: 'string', description: 'kept in the history' } } }) };
const action = (summary: string, parameters: object[]) => ({ post: { summary, parameters, requestBody: reasonBody, responses: { ...ok('the registry change'), ...fails('401', '404', '409') } } });

const ModelVersionView = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    version: { type: 'string' },
    label: { type: 'string', nullable: true },
    source: { type: 'string', enum: ['trained', 'imported'] },
    stage: { type: 'string', enum: ['candidate', 'production', 'archived', 'rejected'] },
    metrics: { type: 'object', additionalProperties: { type: 'number', nullable: true } },
    run_id: { type: 'string' },
    dataset_version: { type: 'string' },
    created_at: { type: 'string' },
    decision: { type: 'object', nullable: true },
  },
};

const ImportResult = {
  type: 'object',
  properties: {
    model: { type: 'string' },
    version: { type: 'string' },
    label: { type: 'string', nullable: true },
    run_id: { type: 'string' },
    stage: { type: 'string' },
    promoted: { type: 'boolean' },
    decision: { type: 'object', properties: { promote: { type: 'boolean' }, awaiting_approval: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } }, explicit: { type: 'object', nullable: true } } },
    imported: { type: 'object', description: 'lineage: by, at, from (the manifest model, version, run id), dataset_version, and the holdout check' },
  },
};

/** A model card: task, lineage, intended use, metrics overall and per slice with intervals, calibration, top features, decision, caveats. */
function cardOperation(summary: string, parameters: object[]): object {
  return {
    summary,
    parameters: [...parameters, { name: 'format', in: 'query', schema: { type: 'string', enum: ['json'] }, description: 'json: the card\'s sections as blocks instead of markdown' }],
    responses: {
      '200': { description: 'the card as markdown (or JSON with format=json)', content: { 'text/markdown': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } },
      ...fails('401', '404'),
    },
  };
}

export function adminPaths(): Record<string, object> {
  return {
    '/api/runs': { get: { summary: 'Training runs, oldest first', parameters: [modelQuery], responses: { ...ok('runs (each with tags)', { type: 'array', items: { type: 'object' } }), ...fails('401') } } },
    '/api/runs/{id}': { get: { summary: 'A run document', parameters: [id('the run id')], responses: { ...ok('the run'), ...fails('401', '404') } } },
    '/api/runs/{id}/detail': { get: { summary: 'A run with its version, decision, trainer history and curves (the dashboard\'s run page)', parameters: [id('the run id')], responses: { ...ok('the run in detail'), ...fails('401', '404') } } },
    '/api/runs/{id}/misclassified/{index}': {
      get: {
        summary: 'A thumbnail of a test image an image model got wrong',
        parameters: [id('the run id'), path('index', 'the thumbnail\'s index')],
        responses: { '200': { description: 'a PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, ...fails('401', '404') },
      },
    },
    '/api/models': { get: { summary: 'Every model version with its stage, metrics and decision, oldest first', parameters: paging, responses: { ...ok('versions', listOrPage(ModelVersionView)), ...fails('400', '401') } } },
    '/api/registry': { get: { summary: 'Each model\'s production, canary, aliases and versions by stage', responses: { ...ok('the registry'), ...fails('401') } } },
    '/api/models/{model}/rollback': action('Put the previous production version back', [model]),
    '/api/models/{model}/canary/complete': action('Give the canary\'s version all the traffic', [model]),
    '/api/models/{model}/canary/abort': action('Give all the traffic back to the version before the canary', [model]),
    '/api/models/{model}/versions/{version}/promote': action('Make a version the production one', [model, version]),
    '/api/models/{model}/versions/{version}/approve': action('Promote a candidate that waits for approval', [model, version]),
    '/api/models/{model}/versions/{version}/reject': action('Reject a candidate', [model, version]),
    '/api/models/{model}/versions': {
      get: { summary: 'One model\'s versions, oldest first', parameters: [model, ...paging], responses: { ...ok('versions', listOrPage(ModelVersionView)), ...fails('400', '401', '404') } },
      post: {
        summary: 'Import a version trained elsewhere: the zip of a folder `mloop train --out` wrote',
        description:
          'The manifest is checked, the ONNX loaded and scored on the holdout the folder carries, and the import refused (400) when the metric differs from the manifest\'s. ' +
          'The version gets the next vN and is judged against production as a trained candidate, unless promote or candidate is given (recorded in the decision). ' +
          'Options as query parameters or x-mloop-<name> headers.',
        parameters: [
          model,
          { name: 'label', in: 'query', schema: { type: 'string' }, description: 'a human label beside vN (1.0.0), unique per model (409 when taken)' },
          { name: 'reason', in: 'query', schema: { type: 'string' } },
          { name: 'promote', in: 'query', schema: { type: 'boolean' }, description: 'promote whatever the comparison says' },
          { name: 'candidate', in: 'query', schema: { type: 'boolean' }, description: 'a winner waits for approval instead of being promoted' },
        ],
        requestBody: { required: true, content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
        responses: { ...ok('the imported version and its decision', ImportResult), ...fails('400', '401', '409', '413', '415') },
      },
    },
    '/api/models/{model}/versions/{version}': {
      delete: { summary: 'Delete an archived or rejected version and its artifacts (production and canary versions: 409)', parameters: [model, version], responses: { ...ok('the deleted objects', { type: 'object', properties: { deleted: { type: 'array', items: { type: 'string' } } } }), ...fails('401', '404', '409') } },
    },
    '/api/models/{model}/versions/{version}/download': {
      get: { summary: 'The version folder as a zip (what the import reads)', parameters: [model, version], responses: { '200': { description: 'a zip, streamed', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } }, ...fails('401', '404') } },
    },
    '/api/models/{model}/card': { get: cardOperation('The production version\'s model card', [model]) },
    '/api/models/{model}/versions/{version}/card': { get: cardOperation('A version\'s model card', [model, version]) },
    '/api/datasets': { get: { summary: 'Dataset versions, accepted and rejected, with their validation reports', parameters: paging, responses: { ...ok('datasets', listOrPage({ type: 'object' })), ...fails('400', '401') } } },
    '/api/dead-letters': { get: { summary: 'Events that failed every delivery (always needs credentials when configured)', responses: { ...ok('dead letters', { type: 'array', items: { type: 'object' } }), ...fails('401') } } },
    '/api/dead-letters/{id}/redeliver': { post: { summary: 'Publish a dead letter again', parameters: [id('the dead letter id')], responses: { ...ok('redelivered'), ...fails('401', '404') } } },
    '/api/monitor': { post: { summary: 'A monitoring pass now', parameters: [modelQuery], responses: { ...ok('the pass, or the tick queued'), ...fails('401') } } },
    '/api/drift': { get: { summary: 'The latest drift report of each model', parameters: [modelQuery], responses: { ...ok('reports', { type: 'array', items: { type: 'object' } }), ...fails('401') } } },
    '/api/drift/history': { get: { summary: 'Drift over time', parameters: [modelQuery], responses: { ...ok('history'), ...fails('401') } } },
    '/api/drift/reports/{id}': { get: { summary: 'One drift report', parameters: [id('the report id')], responses: { ...ok('the report'), ...fails('401', '404') } } },
  };
}
