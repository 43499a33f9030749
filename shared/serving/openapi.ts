import { MAX_IMAGES, MAX_INSTANCES } from './limits';
import { runPaths, runSchemas } from './openapi_runs';
import { adminPaths } from './openapi_admin';

/** `GET /openapi.json`: the scoring routes as OpenAPI 3.0, for clients and API gateways. */
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  '400': { description: 'bad input: a message per field', ...json(ref('Error')) },
  '401': { description: 'missing or wrong credentials', ...json(ref('Error')) },
  '403': { description: 'a valid identity that may not call this service', ...json(ref('Error')) },
  '404': { description: 'no such model or route', ...json(ref('Error')) },
  '413': { description: 'the body is over the size limit', ...json(ref('Error')) },
  '503': { description: 'the model has no production version yet', ...json(ref('Error')) },
};
const modelName = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };

export function openApiDocument(version: string): object {
  return {
    openapi: '3.0.3',
    info: { title: 'mloop scoring', version, description: 'Scores tabular instances, or images, with the production version of each model.' },
    security: [{ bearer: [] }, {}],
    paths: {
      '/score/{name}': {
        post: {
          summary: `Score up to ${MAX_INSTANCES} instances`,
          parameters: [modelName, { name: 'x-request-id', in: 'header', schema: { type: 'string' }, description: 'to join feedback later; generated when absent' }],
          requestBody: { required: true, ...json(ref('ScoreRequest')) },
          responses: { '200': { description: 'one prediction per instance', ...json(ref('ScoreResponse')) }, ...errors },
        },
      },
      '/explain/{name}': {
        post: {
          summary: 'Explain instances: each feature\'s contribution to the raw score (TreeSHAP for trees, exact for linear models, sampled Shapley for networks), with the base value',
          parameters: [modelName, { name: 'x-request-id', in: 'header', schema: { type: 'string' } }],
          requestBody: { required: true, ...json(ref('ExplainRequest')) },
          responses: { '200': { description: 'one explanation per instance', ...json(ref('ExplainResponse')) }, ...errors, '409': { description: 'the version has no explainer.json (trained before explanations were recorded, or a family that cannot explain)', ...json(ref('Error')) } },
        },
      },
      '/v1/models/{name}:explain': {
        post: {
          summary: 'KServe V1 explain: as /explain/{name}',
          parameters: [modelName],
          requestBody: { required: true, ...json(ref('ExplainRequest')) },
          responses: { '200': { description: 'one explanation per instance', ...json(ref('ExplainResponse')) }, ...errors, '409': { description: 'the version cannot be explained', ...json(ref('Error')) } },
        },
      },
      '/predict/{name}': {
        post: {
          summary: `Predict with a model: JSON instances as /score, or for an image model up to ${MAX_IMAGES} images`,
          parameters: [modelName],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { oneOf: [ref('Instances'), ref('ImageInstances')] } },
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/webp': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'array', items: { type: 'string', format: 'binary' } } } } },
            },
          },
          responses: {
            '200': { description: 'one prediction per instance or image', ...json(ref('ScoreResponse')) },
            ...errors,
            '415': { description: 'a body that is neither JSON, an image nor a form of images', ...json(ref('Error')) },
          },
        },
      },
      '/score': { post: { summary: 'Score with the only model served', requestBody: { required: true, ...json(ref('Instances')) }, responses: { '200': { description: 'predictions', ...json(ref('ScoreResponse')) }, ...errors } } },
      '/v1/models/{name}:predict': {
        post: { summary: 'KServe V1 predict', parameters: [modelName], requestBody: { required: true, ...json(ref('Instances')) }, responses: { '200': { description: 'predictions', ...json({ type: 'object', properties: { predictions: { type: 'array', items: ref('Prediction') } } }) }, ...errors } },
      },
      '/v1/models/{name}': { get: { summary: 'KServe V1 model status', parameters: [modelName], responses: { '200': { description: 'ready', ...json({ type: 'object', properties: { name: { type: 'string' }, ready: { type: 'boolean' } } }) }, ...errors } } },
      '/v2/health/live': { get: { summary: 'Open Inference Protocol: the server is live', security: [], responses: { '200': { description: 'live' } } } },
      '/v2/health/ready': { get: { summary: 'Open Inference Protocol: a model is loaded', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'no model loaded yet' } } } },
      '/v2/models/{name}': { get: { summary: 'Open Inference Protocol model metadata', parameters: [modelName], responses: { '200': { description: 'inputs (one per feature) and outputs', ...json(ref('V2Metadata')) }, ...errors } } },
      '/v2/models/{name}/ready': { get: { summary: 'Open Inference Protocol model readiness', parameters: [modelName], responses: { '200': { description: 'ready' }, ...errors } } },
      '/v2/models/{name}/infer': {
        post: {
          summary: 'Open Inference Protocol inference: one input tensor per feature, or for an image model one BYTES tensor of base64 image files',
          description:
            `A table's model takes one input per feature column (shape [n] or [n, 1], BYTES for strings) and answers one output per prediction field. ` +
            `An image model takes exactly one input of datatype BYTES, shape [n] or [n, 1] with 1 ≤ n ≤ ${MAX_IMAGES}, whose data are the JPEG, PNG or WebP files as base64 strings ` +
            `(any name; parameters.content_type, when given, must be "base64"), and answers label (BYTES [n]: the most probable class), score (FP32 [n]: its probability) ` +
            `and probabilities (FP32 [n, K], row-major, classes in parameters.classes and in the model's metadata); outputs in the request picks some.`,
          parameters: [modelName],
          requestBody: { required: true, ...json({ oneOf: [ref('V2Request'), ref('V2ImageRequest')] }) },
          responses: { '200': { description: 'one output tensor per prediction field', ...json({ oneOf: [ref('V2Response'), ref('V2ImageResponse')] }) }, ...errors },
        },
      },
      '/health': { get: { summary: 'Liveness, with the served versions', security: [], responses: { '200': { description: 'ok', ...json(ref('Health')) } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/api/runs/compare': {
        get: {
          summary: 'Compare 2 to 8 runs: differing parameters, metrics with the better value marked, loss, ROC and PR curves, and the holdout each was measured on',
          description: 'An admin route (`mloop up`, the dashboard function): open to reads unless MLOOP_DASHBOARD_READS=key. `warnings` says when the holdouts or the models differ.',
          parameters: [{ name: 'ids', in: 'query', required: true, schema: { type: 'string' }, description: 'run ids, comma-separated', example: 'run-a,run-b' }],
          responses: {
            '200': { description: 'the runs side by side', ...json(ref('RunComparison')) },
            '400': { description: 'fewer than 2 runs, more than 8, or one named twice', ...json(ref('Error')) },
            '401': errors['401'],
            '404': { description: 'a run that does not exist', ...json(ref('Error')) },
          },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.0' } } } },
      '/docs': { get: { summary: 'Swagger UI for this document', responses: { '200': { description: 'an HTML page', content: { 'text/html': { schema: { type: 'string' } } } } } } },
      // the admin API of `mloop up` and the dashboard function (openapi_admin.ts)
      ...adminPaths(),
      ...runPaths,
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the API key, or a Google ID token of an allowed identity' } },
      schemas: {
        Instances: {
          type: 'object',
          required: ['instances'],
          properties: { instances: { type: 'array', minItems: 1, maxItems: MAX_INSTANCES, items: { type: 'object', additionalProperties: { nullable: true, oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }] } } } },
        },
        ImageInstances: {
          type: 'object',
          required: ['instances'],
          properties: { instances: { type: 'array', minItems: 1, maxItems: MAX_IMAGES, items: { type: 'object', required: ['b64'], properties: { b64: { type: 'string', format: 'byte' } } } } },
        },
        Prediction: {
          type: 'object',
          description: 'binary {score, label}; multiclass {label, probabilities}; regression {value}; a clustering model (kmeans) {cluster, distances}; an image model {label, score, top_k}; anomaly_score when trained with unsupervised',
          properties: { top_k: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' } } } }, score: { type: 'number' }, label: { oneOf: [{ type: 'integer' }, { type: 'string' }] }, probabilities: { type: 'object', additionalProperties: { type: 'number' } }, value: { type: 'number' }, cluster: { type: 'integer' }, distances: { type: 'array', items: { type: 'number' } }, anomaly_score: { type: 'number' }, explanation: ref('Explanation') },
        },
        ScoreRequest: {
          type: 'object',
          required: ['instances'],
          properties: {
            instances: { type: 'array', minItems: 1, maxItems: MAX_INSTANCES, items: { type: 'object', additionalProperties: { nullable: true, oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }] } } },
            explain: { type: 'boolean', description: 'add each prediction\'s explanation, with its explain_top_k largest contributions' },
            explain_top_k: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
          },
        },
        ExplainRequest: {
          type: 'object',
          required: ['instances'],
          properties: {
            instances: { type: 'array', minItems: 1, maxItems: MAX_INSTANCES, items: { type: 'object', additionalProperties: { nullable: true, oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }] } } },
            explain_top_k: { type: 'integer', minimum: 1, maximum: 1000, description: 'only the largest contributions; every feature by default' },
            class: { type: 'string', description: 'a multiclass model: explain this class instead of the predicted one' },
            classes: { type: 'string', enum: ['all'], description: 'a multiclass model: also explain every class, in classes' },
          },
        },
        Explanation: {
          type: 'object',
          description: 'base_value + Σ contributions = raw_score (the margin before the link: log-odds, a class logit, the value, a forest\'s mean vote, an isolation forest\'s mean path length); score as /score returns it. A multiclass model explains the class it predicts (class), or the one the request names; asked for "classes": "all", classes holds every class\'s explanation. A categorical feature\'s one-hot columns count as one feature.',
          properties: {
            base_value: { type: 'number' },
            raw_score: { type: 'number' },
            score: { type: 'number' },
            class: { type: 'string' },
            contributions: { type: 'object', additionalProperties: { type: 'number' } },
            approximate: { type: 'boolean', description: 'true when the split between features is estimated (a network with hidden layers)' },
            classes: { type: 'object', description: 'with "classes": "all": each class\'s base_value, raw_score, score and contributions', additionalProperties: { type: 'object', properties: { base_value: { type: 'number' }, raw_score: { type: 'number' }, score: { type: 'number' }, contributions: { type: 'object', additionalProperties: { type: 'number' } } } } },
          },
        },
        ExplainResponse: { type: 'object', properties: { request_id: { type: 'string' }, model: { type: 'string' }, model_version: { type: 'string' }, explanations: { type: 'array', items: ref('Explanation') } } },
        ScoreResponse: { type: 'object', properties: { request_id: { type: 'string' }, model: { type: 'string' }, model_version: { type: 'string' }, predictions: { type: 'array', items: ref('Prediction') } } },
        V2Tensor: { type: 'object', required: ['name', 'shape', 'datatype', 'data'], properties: { name: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } }, datatype: { type: 'string', enum: ['BOOL', 'BYTES', 'FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64'] }, data: { type: 'array', items: {} }, parameters: { type: 'object' } } },
        V2Request: { type: 'object', required: ['inputs'], properties: { id: { type: 'string' }, inputs: { type: 'array', items: ref('V2Tensor') }, outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } } } },
        V2ImageRequest: {
          type: 'object',
          required: ['inputs'],
          properties: {
            id: { type: 'string' },
            inputs: {
              type: 'array',
              minItems: 1,
              maxItems: 1,
              items: {
                type: 'object',
                required: ['name', 'shape', 'datatype', 'data'],
                properties: {
                  name: { type: 'string', example: 'image' },
                  shape: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2, example: [1] },
                  datatype: { type: 'string', enum: ['BYTES'] },
                  data: { type: 'array', minItems: 1, maxItems: MAX_IMAGES, items: { type: 'string', format: 'byte' }, description: 'each a JPEG, PNG or WebP file, base64' },
                  parameters: { type: 'object', properties: { content_type: { type: 'string', enum: ['base64'] } } },
                },
              },
            },
            outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string', enum: ['label', 'score', 'probabilities'] } } } },
          },
        },
        V2ImageResponse: {
          type: 'object',
          description: 'outputs: label BYTES [n], score FP32 [n], probabilities FP32 [n, K] with parameters.classes',
          properties: { model_name: { type: 'string' }, model_version: { type: 'string' }, id: { type: 'string' }, outputs: { type: 'array', items: ref('V2Tensor') } },
          example: {
            model_name: 'leaves',
            model_version: 'v1',
            id: 'req-1',
            outputs: [
              { name: 'label', datatype: 'BYTES', shape: [1], data: ['oak'] },
              { name: 'score', datatype: 'FP32', shape: [1], data: [0.93] },
              { name: 'probabilities', datatype: 'FP32', shape: [1, 2], data: [0.93, 0.07], parameters: { classes: ['oak', 'maple'] } },
            ],
          },
        },
        V2Response: { type: 'object', properties: { model_name: { type: 'string' }, model_version: { type: 'string' }, id: { type: 'string' }, outputs: { type: 'array', items: ref('V2Tensor') } } },
        V2Metadata: { type: 'object', properties: { name: { type: 'string' }, versions: { type: 'array', items: { type: 'string' } }, platform: { type: 'string' }, inputs: { type: 'array', items: { type: 'object' } }, outputs: { type: 'array', items: { type: 'object' } } } },
        Health: { type: 'object', properties: { status: { type: 'string' }, model_version: { type: 'string', nullable: true }, model_loaded: { type: 'boolean' }, models: { type: 'object', additionalProperties: { type: 'string' } } } },
        RunComparison: {
          type: 'object',
          required: ['runs', 'params', 'metrics', 'history', 'curves', 'same_holdout', 'same_model', 'warnings'],
          properties: {
            runs: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' }, model: { type: 'string' }, model_version: { type: 'string' }, dataset_version: { type: 'string' }, status: { type: 'string' },
                  algorithm: { type: 'string', nullable: true }, created_at: { type: 'string' },
                  training_end: { type: 'object', nullable: true, properties: { unit: { type: 'string', enum: ['epoch', 'iteration'] }, iterations: { type: 'integer' }, max_iterations: { type: 'integer', nullable: true }, best_iteration: { type: 'integer' }, stopped_early: { type: 'boolean' } } },
                  holdout: { type: 'object', properties: { dataset_version: { type: 'string' }, rows: { type: 'integer', nullable: true }, seed: { type: 'integer', nullable: true }, sample: { type: 'integer', nullable: true }, time_column: { type: 'string', nullable: true }, recorded: { type: 'boolean' } } },
                },
              },
            },
            params: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, values: { type: 'array', items: {} }, differs: { type: 'boolean' } } } },
            metrics: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, values: { type: 'array', items: { type: 'number', nullable: true } }, direction: { type: 'string', enum: ['higher', 'lower'], nullable: true }, best: { type: 'array', items: { type: 'integer' }, description: 'indices into runs' } } } },
            history: { type: 'array', items: { type: 'object', properties: { run_id: { type: 'string' }, unit: { type: 'string' }, points: { type: 'array', items: { type: 'object', properties: { iteration: { type: 'integer' }, loss: { type: 'number', nullable: true }, val_loss: { type: 'number', nullable: true } } } } } } },
            curves: { type: 'array', items: { type: 'object', properties: { run_id: { type: 'string' }, roc: { type: 'array', items: { type: 'object' } }, pr: { type: 'array', items: { type: 'object' } } } } },
            same_holdout: { type: 'boolean' },
            same_model: { type: 'boolean' },
            warnings: { type: 'array', items: { type: 'string' } },
          },
        },
        Error: { type: 'object', properties: { error: {} } },
        ...runSchemas,
      },
    },
  };
}
