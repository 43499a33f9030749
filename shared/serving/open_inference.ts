import { MloopError } from '../core/errors';
import type { InstanceError } from '../data/encoding';
import type { Manifest } from '../ml/manifest';
import { ONNX_DISTANCES, ONNX_OUTPUTS } from '../ml/onnx_io';
import type { Prediction } from '../ml/scorer';
import { checkInstanceCount } from './limits';
import { V2_IMAGE_INPUT } from './open_inference_images';

/**
 * The Open Inference Protocol (KServe V2) for tabular models, as MLServer's pandas codec speaks it:
 * one named input per feature column, `{"name", "shape": [n] or [n, 1], "datatype", "data"}`, strings
 * as BYTES; the reply carries one named output tensor per field of the prediction.
 */
export interface V2Request {
  id?: string;
  instances: Array<Record<string, unknown>>;
  /** Outputs asked for by name; all when absent. */
  outputs?: string[];
}

export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

const NUMERIC = new Set(['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);
const DATATYPES = new Set([...NUMERIC, 'BOOL', 'BYTES']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(errors: InstanceError[]): MloopError {
  const shown = errors.slice(0, 5).map((e) => e.message).join('; ');
  return new MloopError('invalid_argument', `invalid inference request: ${shown}`, { errors });
}

function cellProblem(datatype: string, value: unknown): string | null {
  if (value === null) return null;
  if (NUMERIC.has(datatype)) return typeof value === 'number' ? null : `expected a number for datatype ${datatype}`;
  if (datatype === 'BOOL') return typeof value === 'boolean' ? null : 'expected true or false for datatype BOOL';
  return typeof value === 'string' ? null : 'expected a string for datatype BYTES';
}

export function decodeV2Request(body: unknown): V2Request {
  if (!isObject(body)) throw invalid([{ index: null, field: null, message: 'the body must be a JSON object {"inputs": [{"name", "shape", "datatype", "data"}, ...]}' }]);
  const { inputs, id, outputs } = body;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalid([{ index: null, field: null, message: 'inputs: expected a non-empty array of tensors, one per feature' }]);
  }
  if (id !== undefined && typeof id !== 'string') throw invalid([{ index: null, field: null, message: 'id: expected a string' }]);
  const errors: InstanceError[] = [];
  const columns: Array<{ name: string; data: unknown[] }> = [];
  let rows = -1;
  const seen = new Set<string>();
  inputs.forEach((input: unknown, i) => {
    const at = `inputs[${i}]`;
    if (!isObject(input)) return errors.push({ index: null, field: null, message: `${at}: expected an object {"name", "shape", "datatype", "data"}` });
    const { name, shape, datatype, data } = input;
    if (typeof name !== 'string' || name === '') return errors.push({ index: null, field: null, message: `${at}.name: expected the feature's name` });
    const field = `inputs[${JSON.stringify(name)}]`;
    if (seen.has(name)) return errors.push({ index: null, field: name, message: `${field}: given twice` });
    seen.add(name);
    if (typeof datatype !== 'string' || !DATATYPES.has(datatype)) {
      return errors.push({ index: null, field: name, message: `${field}.datatype: expected one of ${[...DATATYPES].join(', ')}` });
    }
    if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 0) || (shape.length === 2 && shape[1] !== 1)) {
      return errors.push({ index: null, field: name, message: `${field}.shape: expected [n] or [n, 1] (one value per row)` });
    }
    if (!Array.isArray(data)) return errors.push({ index: null, field: name, message: `${field}.data: expected an array` });
    const flat = data.some(Array.isArray) ? data.flat() : data;
    const n = shape[0] as number;
    if (flat.length !== n) return errors.push({ index: null, field: name, message: `${field}: shape says ${n} values, data has ${flat.length}` });
    if (rows >= 0 && n !== rows) return errors.push({ index: null, field: name, message: `${field}: ${n} rows, other inputs have ${rows}` });
    rows = n;
    for (let r = 0; r < flat.length && errors.length < 100; r++) {
      const problem = cellProblem(datatype, flat[r]);
      if (problem) errors.push({ index: r, field: name, message: `${field}.data[${r}]: ${problem}, got ${JSON.stringify(flat[r])?.slice(0, 40)}` });
    }
    columns.push({ name, data: flat });
  });
  if (errors.length > 0) throw invalid(errors);
  checkInstanceCount(rows);
  if (rows === 0) throw invalid([{ index: null, field: null, message: 'inputs: expected at least one row, got shape [0]' }]);
  let wanted: string[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every((o) => isObject(o) && typeof o.name === 'string')) {
      throw invalid([{ index: null, field: null, message: 'outputs: expected an array of {"name": ...}' }]);
    }
    wanted = outputs.map((o) => (o as { name: string }).name);
  }
  const instances = new Array<Record<string, unknown>>(rows);
  for (let r = 0; r < rows; r++) {
    const record: Record<string, unknown> = {};
    for (const column of columns) record[column.name] = column.data[r];
    instances[r] = record;
  }
  return { id, instances, outputs: wanted };
}

/**
 * The output tensors a model answers with, by task; a clustering model: `cluster` and `distances` [n, k]. An image model: `label` (the most probable class),
 * `score` (its probability) and `probabilities` [n, K], in the order of `parameters.classes`.
 */
export function outputSpecs(manifest: Manifest): Array<{ name: string; datatype: string; shape: number[] }> {
  if (manifest.image) {
    return [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'score', datatype: 'FP32', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, manifest.classes!.length] },
    ];
  }
  if (manifest.output.name === ONNX_OUTPUTS.clustering) {
    return [
      { name: 'cluster', datatype: 'INT64', shape: [-1] },
      { name: ONNX_DISTANCES, datatype: 'FP32', shape: [-1, Number(manifest.trainer.params.n_clusters)] },
    ];
  }
  const specs =
    manifest.task === 'binary'
      ? [
          { name: 'score', datatype: 'FP32', shape: [-1] },
          { name: 'label', datatype: 'INT64', shape: [-1] },
        ]
      : manifest.task === 'multiclass'
        ? [
            { name: 'label', datatype: 'BYTES', shape: [-1] },
            { name: 'probabilities', datatype: 'FP32', shape: [-1, manifest.classes!.length] },
          ]
        : [{ name: 'value', datatype: 'FP32', shape: [-1] }];
  if (manifest.unsupervised) specs.push({ name: 'anomaly_score', datatype: 'FP32', shape: [-1] });
  return specs;
}

export function encodeV2Outputs(manifest: Manifest, predictions: Prediction[], wanted?: string[]): V2Tensor[] {
  const specs = outputSpecs(manifest);
  if (wanted) {
    const unknown = wanted.filter((name) => !specs.some((s) => s.name === name));
    if (unknown.length > 0) {
      throw new MloopError('invalid_argument', `outputs: ${unknown.join(', ')} unknown (this model answers ${specs.map((s) => s.name).join(', ')})`);
    }
  }
  const n = predictions.length;
  const rows = predictions as Array<Record<string, unknown>>;
  return specs
    .filter((spec) => !wanted || wanted.includes(spec.name))
    .map((spec): V2Tensor => {
      if (spec.name === 'probabilities') {
        const classes = manifest.classes!;
        const data = new Array<number>(n * classes.length);
        for (let i = 0; i < n; i++) {
          const p = rows[i].probabilities as Record<string, number> | undefined;
          // an image prediction carries them only when the route asked the scorer for them
          if (!p) throw new MloopError('internal', `prediction ${i} has no class probabilities`);
          for (let k = 0; k < classes.length; k++) data[i * classes.length + k] = p[classes[k]];
        }
        return { name: spec.name, datatype: spec.datatype, shape: [n, classes.length], data, parameters: { classes } };
      }
      if (spec.name === ONNX_DISTANCES) {
        const data = rows.flatMap((row) => row.distances as number[]);
        return { name: spec.name, datatype: spec.datatype, shape: [n, n > 0 ? data.length / n : 0], data };
      }
      return { name: spec.name, datatype: spec.datatype, shape: [n], data: rows.map((row) => row[spec.name]) };
    });
}

const DATATYPE_OF = { numeric: 'FP64', categorical: 'BYTES', boolean: 'BOOL' } as const;

/** `GET /v2/models/<name>`: what a client needs to build a request. */
export function v2ModelMetadata(name: string, manifest: Manifest) {
  return {
    name,
    versions: [manifest.version],
    platform: 'onnxruntime_onnx',
    inputs: manifest.image
      ? [{ name: V2_IMAGE_INPUT, datatype: 'BYTES', shape: [-1], parameters: { content_type: 'base64' } }]
      : manifest.features.map((f) => ({ name: f.name, datatype: DATATYPE_OF[f.kind], shape: [-1] })),
    outputs: outputSpecs(manifest),
    parameters: { task: manifest.task, ...(manifest.classes ? { classes: manifest.classes } : {}), ...(manifest.image ? { image: manifest.image } : {}) },
  };
}
