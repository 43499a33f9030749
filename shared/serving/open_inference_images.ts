import { MloopError } from '../core/errors';
import type { InstanceError } from '../data/encoding';
import type { ImageInstance } from '../ml/scorer';
import { MAX_IMAGES } from './limits';

/**
 * The Open Inference Protocol (KServe V2) for image models: one input tensor of datatype BYTES, shape
 * [n] (or [n, 1]), whose data are the n image files (JPEG, PNG or WebP) as base64 strings. JSON cannot
 * carry raw bytes, so base64 is how KServe's image examples and MLServer's Base64Codec
 * (`"parameters": {"content_type": "base64"}`) send binary data over REST; that parameter is optional
 * here, and any other content type is refused rather than guessed at. The input's name is free (the
 * model's metadata calls it `image`): an image model has a single input.
 */
export const V2_IMAGE_INPUT = 'image';

export interface V2ImageRequest {
  id?: string;
  instances: ImageInstance[];
  outputs?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(message: string, errors: InstanceError[] = [{ index: null, field: null, message }]): MloopError {
  return new MloopError('invalid_argument', `invalid inference request: ${message}`, { errors });
}

const SHAPE = `{"name": "${V2_IMAGE_INPUT}", "datatype": "BYTES", "shape": [n], "data": ["<base64 of a JPEG, PNG or WebP file>", ...]}`;

export function decodeV2ImageRequest(body: unknown): V2ImageRequest {
  if (!isObject(body)) throw invalid(`the body must be a JSON object {"inputs": [${SHAPE}]}`);
  const { inputs, id, outputs } = body;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalid(`an image model takes one input, ${SHAPE}; got ${Array.isArray(inputs) ? `${inputs.length} inputs` : 'no inputs array'}`);
  }
  if (id !== undefined && typeof id !== 'string') throw invalid('id: expected a string');
  const input: unknown = inputs[0];
  if (!isObject(input)) throw invalid(`inputs[0]: expected ${SHAPE}`);
  const { name, datatype, shape, data, parameters } = input;
  if (typeof name !== 'string' || name === '') throw invalid('inputs[0].name: expected a name');
  const at = `inputs[${JSON.stringify(name).slice(0, 80)}]`;
  if (datatype !== 'BYTES') throw invalid(`${at}.datatype: expected BYTES (the image files as base64 strings), got ${JSON.stringify(datatype)?.slice(0, 40)}`);
  if (parameters !== undefined) {
    const type = isObject(parameters) ? parameters.content_type : undefined;
    if (!isObject(parameters) || (type !== undefined && type !== 'base64')) {
      throw invalid(`${at}.parameters.content_type: only "base64" is read (JSON cannot carry an image's raw bytes)`);
    }
  }
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 0) || (shape.length === 2 && shape[1] !== 1)) {
    throw invalid(`${at}.shape: expected [n] or [n, 1], one image per row`);
  }
  if (!Array.isArray(data)) throw invalid(`${at}.data: expected an array of base64 strings`);
  const flat: unknown[] = data.some(Array.isArray) ? data.flat() : data;
  const n = shape[0] as number;
  if (flat.length !== n) throw invalid(`${at}: shape says ${n} images, data has ${flat.length}`);
  if (n === 0) throw invalid(`${at}: expected at least one image, got shape [0]`);
  if (n > MAX_IMAGES) throw invalid(`${at}: too many images: ${n}, at most ${MAX_IMAGES} per request (split the batch)`);
  const errors: InstanceError[] = [];
  flat.forEach((value, i) => {
    if (typeof value !== 'string') errors.push({ index: i, field: name, message: `${at}.data[${i}]: expected a base64 string, got ${JSON.stringify(value)?.slice(0, 40)}` });
  });
  if (errors.length > 0) throw invalid(errors.slice(0, 5).map((e) => e.message).join('; '), errors);
  let wanted: string[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every((o) => isObject(o) && typeof o.name === 'string')) throw invalid('outputs: expected an array of {"name": ...}');
    wanted = outputs.map((o) => (o as { name: string }).name);
  }
  return { id, instances: (flat as string[]).map((b64) => ({ b64 })), outputs: wanted };
}
