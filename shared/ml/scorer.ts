import * as ort from 'onnxruntime-node';
import { MloopError } from '../core/errors';
import { encodedWidth, encodeRecords, validateInstances, type InstanceError } from '../data/encoding';
import { imageFloats, type ImageSpec } from '../data/images/image_spec';
import type { ImageProperties } from '../data/images/image_properties';
import { preprocessImage } from '../data/images/preprocess';
import { Explainer, type ClassChoice, type Explanation } from './explain/explainer';
import { calibratorOf } from './calibration/calibrator';
import { EXPLAINER_FILE, type ExplainerModel } from './explain/explainer_file';
import type { Manifest } from './manifest';
import { ONNX_DISTANCES, ONNX_OUTPUTS } from './onnx_io';
import { createOnnxSession, type OnnxSession } from './onnx_session';
import { probeRows, scoresAgree, treeScorer, type TreeScores } from './tree_scorer';

/**
 * Serves one model version with onnxruntime-node — and its anomaly detector, when one was trained
 * beside it. Records go through the same encodeRecords the training data went through, so HTTP
 * instances and holdout CSV rows are scored exactly as trained.
 */
export type Prediction = (
  | { score: number; label: 0 | 1 }
  | { label: string; probabilities: Record<string, number> }
  | { value: number }
  | ClusterPrediction
  | ImagePrediction
) & { anomaly_score?: number };

/** A clustering model's answer (kmeans): the nearest centroid's index, and the distance to each centroid in standardised units. */
export type ClusterPrediction = { cluster: number; distances: number[] };

/**
 * An image model's answer: the most probable class, its probability, and the few most probable classes;
 * every class's probability only when asked for (`PredictOptions.probabilities`, Open Inference V2).
 */
export type ImagePrediction = { label: string; score: number; top_k: Array<{ label: string; score: number }>; probabilities?: Record<string, number> };

export interface PredictOptions {
  /** An image model adds every class's probability to each prediction; a table's model has them already or none. */
  probabilities?: boolean;
}

/**
 * One image to score: the encoded file's bytes, or base64 text as a JSON body carries it. An image
 * model's records (its holdout rows, a JSON request's instances) are of this shape.
 */
export type ImageInstance = { b64: string } | { bytes: Uint8Array };

/** Classes an image prediction lists in `top_k`, at most. */
export const TOP_K = 3;

export type ExplainResult = { ok: true; explanations: Explanation[] } | { ok: false; errors: InstanceError[] };

/** `images`: an image model's measure of each image it scored, for the prediction log (image_properties.ts). */
export type PredictResult = { ok: true; predictions: Prediction[]; images?: ImageProperties[] } | { ok: false; errors: InstanceError[] };

export interface Scorer {
  readonly version: string;
  readonly manifest: Manifest;
  /** What scores the rows: a tree model's trees in JavaScript (tree_scorer.ts), or onnxruntime. */
  readonly engine: 'trees' | 'onnxruntime';
  /**
   * The model's output for each record, row-major: P(positive) or the anomaly score [n], one
   * probability per class [n × K], or the value [n]. Values may be JSON values or CSV strings.
   */
  scoreRecords(records: ArrayLike<Record<string, unknown>>): Promise<Float32Array>;
  /** Validates a request body, then scores it. */
  predict(instances: unknown, options?: PredictOptions): Promise<PredictResult>;
  /**
   * predict without a promise, where the model is scored on the caller's turn (a table's model whose
   * onnxruntime runs synchronously, onnx_session.ts): a one-row request spends no microtask on it.
   */
  predictNow?(instances: unknown): PredictResult;
  /**
   * Validates a request body, then explains each row (explain/explainer.ts): all its features' contributions,
   * or the `topK` largest; of a multiclass model, the class `choice` names, or every class. Fails with
   * failed_precondition for a version stored without explainer.json.
   */
  explain?(instances: unknown, topK?: number, choice?: ClassChoice): Promise<ExplainResult>;
  /** One inference on an input that needs no record, where a made-up record cannot be scored (an image model). */
  warm?(): Promise<void>;
  release(): Promise<void>;
}

// One intra-op thread: requests are small and concurrent, and a scoring instance has few cores.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

async function openSession(bytes: Uint8Array, manifest: Manifest, file: string, output: string): Promise<OnnxSession> {
  const session = await createOnnxSession(bytes, SESSION_OPTIONS);
  const input = manifest.input.name;
  if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
    await session.release();
    throw new MloopError(
      'failed_precondition',
      `${file} of ${manifest.model} ${manifest.version} has inputs [${session.inputNames}] and outputs [${session.outputNames}], expected ${input} → ${output}`,
    );
  }
  return session;
}

function labelled(manifest: Manifest, out: Float32Array, n: number): Prediction[] {
  const predictions = new Array<Prediction>(n);
  if (manifest.task === 'regression') {
    for (let i = 0; i < n; i++) predictions[i] = { value: out[i] };
  } else if (manifest.task === 'multiclass') {
    const classes = manifest.classes!;
    const K = classes.length;
    for (let i = 0; i < n; i++) {
      const probabilities: Record<string, number> = {};
      let best = 0;
      for (let k = 0; k < K; k++) {
        probabilities[classes[k]] = out[i * K + k];
        if (out[i * K + k] > out[i * K + best]) best = k;
      }
      predictions[i] = { label: classes[best], probabilities };
    }
  } else {
    const threshold = manifest.threshold!;
    for (let i = 0; i < n; i++) predictions[i] = { score: out[i], label: out[i] >= threshold ? 1 : 0 };
  }
  return predictions;
}

const CLUSTER_OUTPUTS = [ONNX_OUTPUTS.clustering, ONNX_DISTANCES];

/** Both outputs of a clustering model from one run: each row's cluster and its distances to the k centroids. */
function clustered(result: Record<string, { data: unknown }>, n: number): ClusterPrediction[] {
  const cluster = result[ONNX_OUTPUTS.clustering].data as Float32Array;
  const distances = result[ONNX_DISTANCES].data as Float32Array;
  const k = distances.length / n;
  return Array.from({ length: n }, (_, i) => ({ cluster: cluster[i], distances: Array.from(distances.subarray(i * k, (i + 1) * k)) }));
}

function unexplainable(manifest: Manifest): MloopError {
  const why = manifest.image
    ? 'an image model is not explained'
    : `it has no ${EXPLAINER_FILE}: it was trained before explanations were recorded, or by a family that cannot explain (retrain it to explain it)`;
  return new MloopError('failed_precondition', `${manifest.model} ${manifest.version} (${manifest.algorithm}) cannot be explained: ${why}`);
}

// Rows the tree scorer is checked on against the ONNX graph before it serves: every kind of branch, ~1 ms.
const PROBES = 256;

/** The tree scorer of a tree model, if its scores agree with the ONNX graph's on probe rows. */
function agreeingTreeScorer(model: ExplainerModel, manifest: Manifest, width: number, onnx: TreeScores): TreeScores | null {
  const trees = treeScorer(model, manifest.task, calibratorOf(manifest.calibration));
  if (!trees) return null;
  const X = probeRows(model, width, PROBES);
  return scoresAgree(trees(X, PROBES), onnx(X, PROBES)) ? trees : null;
}

/**
 * `anomalyBytes` is anomaly.onnx, required when the manifest lists an unsupervised model; `explainer` is
 * explainer.json's model, when the version has one.
 */
export async function loadScorer(onnxBytes: Uint8Array, manifest: Manifest, anomalyBytes?: Uint8Array, explainerModel?: ExplainerModel): Promise<Scorer> {
  if (manifest.image) return loadImageScorer(onnxBytes, manifest, manifest.image);
  const width = encodedWidth(manifest.features);
  if (width !== manifest.input.width) {
    throw new MloopError('failed_precondition', `manifest of ${manifest.model} ${manifest.version}: features encode to ${width} columns, input.width says ${manifest.input.width}`);
  }
  if (manifest.unsupervised && !anomalyBytes) {
    throw new MloopError('failed_precondition', `${manifest.model} ${manifest.version} lists ${manifest.unsupervised.file}, which was not given`);
  }
  const session = await openSession(onnxBytes, manifest, 'model.onnx', manifest.output.name);
  const clustering = manifest.output.name === ONNX_OUTPUTS.clustering;
  if (clustering && !session.outputNames.includes(ONNX_DISTANCES)) {
    await session.release();
    throw new MloopError('failed_precondition', `model.onnx of ${manifest.model} ${manifest.version} answers ${manifest.output.name} without ${ONNX_DISTANCES}`);
  }
  let anomaly: OnnxSession | null = null;
  try {
    if (manifest.unsupervised) anomaly = await openSession(anomalyBytes!, manifest, manifest.unsupervised.file, manifest.unsupervised.output);
  } catch (err) {
    await session.release();
    throw err;
  }
  const ignorable = [manifest.target, ...manifest.dropped.map((d) => d.name)];
  const input = manifest.input.name;
  const modelOutput = [manifest.output.name];
  const outputs = clustering ? CLUSTER_OUTPUTS : modelOutput;
  const anomalyOutputs = manifest.unsupervised ? [manifest.unsupervised.output] : [];
  const feeds = (features: Float32Array, n: number) => ({ [input]: new ort.Tensor('float32', features, [n, width]) });

  // A tree model is scored from its trees, by requests and holdouts alike, once they agree with the graph.
  const runNow = session.runNow;
  const trees =
    anomaly || clustering || !explainerModel || !runNow
      ? null
      : agreeingTreeScorer(explainerModel, manifest, width, (X, n) => runNow(feeds(X, n), modelOutput)[manifest.output.name].data as Float32Array);

  const scoreRecords = async (records: ArrayLike<Record<string, unknown>>): Promise<Float32Array> => {
    if (records.length === 0) return new Float32Array(0);
    if (trees) return trees(encodeRecords(records, manifest.features), records.length);
    const result = await session.run(feeds(encodeRecords(records, manifest.features), records.length), modelOutput);
    return result[manifest.output.name].data as Float32Array;
  };

  const predictions = (result: Record<string, { data: unknown }>, n: number): Prediction[] =>
    clustering ? clustered(result, n) : labelled(manifest, result[manifest.output.name].data as Float32Array, n);
  const withAnomaly = (predicted: Prediction[], result: Record<string, { data: unknown }>, n: number) => {
    const scores = result[anomalyOutputs[0]].data as Float32Array;
    for (let i = 0; i < n; i++) predicted[i].anomaly_score = scores[i];
    return predicted;
  };

  // Scored synchronously, a one-row request encodes into one input tensor kept for the purpose: the run
  // is over before another request can encode (encodeRecords zeroes the row first).
  const anomalyNow = anomaly ? anomaly.runNow : null;
  let predictNow: ((instances: unknown) => PredictResult) | undefined;
  if (runNow && (!anomaly || anomalyNow)) {
    const oneRow = new Float32Array(width);
    const oneFeeds = feeds(oneRow, 1);
    predictNow = (instances) => {
      const checked = validateInstances(instances, manifest.features, ignorable);
      if (!checked.ok) return checked;
      const n = checked.records.length;
      const X = encodeRecords(checked.records, manifest.features, n === 1 ? oneRow : undefined);
      if (trees) return { ok: true, predictions: labelled(manifest, trees(X, n), n) };
      const x = n === 1 ? oneFeeds : feeds(X, n);
      const predicted = predictions(runNow(x, outputs), n);
      return { ok: true, predictions: anomalyNow ? withAnomaly(predicted, anomalyNow(x, anomalyOutputs), n) : predicted };
    };
  }

  // built on the first explanation: its trees' paths are precomputed once
  let explainer: Explainer | null = null;
  return {
    version: manifest.version,
    manifest,
    engine: trees ? 'trees' : 'onnxruntime',
    scoreRecords,
    async explain(instances, topK, choice) {
      if (!explainerModel || clustering) throw unexplainable(manifest);
      const checked = validateInstances(instances, manifest.features, ignorable);
      if (!checked.ok) return checked;
      explainer ??= new Explainer(explainerModel, manifest.features, manifest.classes, manifest.task === 'multiclass', calibratorOf(manifest.calibration));
      const n = checked.records.length;
      return { ok: true, explanations: explainer.explain(encodeRecords(checked.records, manifest.features), width, n, topK, choice) };
    },
    predictNow,
    async predict(instances) {
      if (predictNow) return predictNow(instances);
      const checked = validateInstances(instances, manifest.features, ignorable);
      if (!checked.ok) return checked;
      const n = checked.records.length;
      const x = feeds(encodeRecords(checked.records, manifest.features), n);
      const predicted = predictions(await session.run(x, outputs), n);
      return { ok: true, predictions: anomaly ? withAnomaly(predicted, await anomaly.run(x, anomalyOutputs), n) : predicted };
    },
    release: async () => {
      await session.release();
      await anomaly?.release();
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of one instance, or why it is not one. */
function imageBytesOf(instance: unknown): Uint8Array | string {
  if (!instance || typeof instance !== 'object' || Array.isArray(instance)) return 'an instance must be an object {"b64": "<base64 of a JPEG, PNG or WebP file>"}';
  const value = instance as Record<string, unknown>;
  if (value.bytes instanceof Uint8Array) return value.bytes;
  if (typeof value.b64 !== 'string') return 'an instance must carry the image as {"b64": "<base64>"}';
  const text = value.b64.replace(/\s+/g, '');
  if (text.length === 0 || !BASE64.test(text)) return 'b64 is not base64 text';
  return Buffer.from(text, 'base64');
}

/** The top classes of one row of probabilities, most probable first. */
function imagePrediction(classes: readonly string[], row: Float32Array, all = false): ImagePrediction {
  const order = classes.map((_, k) => k).sort((a, b) => row[b] - row[a]);
  const top_k = order.slice(0, Math.min(TOP_K, classes.length)).map((k) => ({ label: classes[k], score: row[k] }));
  const prediction: ImagePrediction = { label: top_k[0].label, score: top_k[0].score, top_k };
  if (all) prediction.probabilities = Object.fromEntries(classes.map((c, k) => [c, row[k]]));
  return prediction;
}

/**
 * An image model: each image is decoded and resized by the same preprocessImage its training images went
 * through, with the manifest's spec, then scored as one NHWC batch. A file that does not decode is the
 * caller's error, named by its index.
 */
async function loadImageScorer(onnxBytes: Uint8Array, manifest: Manifest, spec: ImageSpec): Promise<Scorer> {
  const session = await openSession(onnxBytes, manifest, 'model.onnx', manifest.output.name);
  const classes = manifest.classes!;
  const floats = imageFloats(spec);
  const output = [manifest.output.name];
  const run = async (x: Float32Array, n: number) => {
    const result = await session.run({ [manifest.input.name]: new ort.Tensor('float32', x, [n, spec.size, spec.size, spec.channels]) }, output);
    return result[manifest.output.name].data as Float32Array;
  };
  /** Preprocessed images, or the errors of those that are not images. */
  const tensors = async (instances: ArrayLike<unknown>): Promise<{ ok: true; x: Float32Array; images: ImageProperties[] } | { ok: false; errors: InstanceError[] }> => {
    const n = instances.length;
    const x = new Float32Array(n * floats);
    const images = new Array<ImageProperties>(n);
    const errors: InstanceError[] = [];
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const bytes = imageBytesOf(instances[i]);
        if (typeof bytes === 'string') return void errors.push({ index: i, field: 'b64', message: `instance ${i}: ${bytes}` });
        try {
          await preprocessImage(bytes, spec, { out: x, offset: i * floats, onProperties: (p) => (images[i] = p) });
        } catch (err) {
          if (!(err instanceof MloopError) || !err.permanent) throw err;
          errors.push({ index: i, field: 'b64', message: `instance ${i}: ${err.message}` });
        }
      }),
    );
    return errors.length > 0 ? { ok: false, errors: errors.sort((a, b) => a.index! - b.index!) } : { ok: true, x, images };
  };
  return {
    version: manifest.version,
    manifest,
    engine: 'onnxruntime',
    async scoreRecords(records) {
      if (records.length === 0) return new Float32Array(0);
      const decoded = await tensors(records);
      if (!decoded.ok) throw new MloopError('invalid_argument', decoded.errors.slice(0, 3).map((e) => e.message).join('; '));
      return run(decoded.x, records.length);
    },
    explain: async () => {
      throw unexplainable(manifest);
    },
    async predict(instances, options = {}) {
      if (!Array.isArray(instances) || instances.length === 0) {
        return { ok: false, errors: [{ index: null, field: null, message: 'instances must be a non-empty array of {"b64": "<base64 image>"}' }] };
      }
      const decoded = await tensors(instances);
      if (!decoded.ok) return decoded;
      const out = await run(decoded.x, instances.length);
      const K = classes.length;
      return { ok: true, predictions: instances.map((_, i) => imagePrediction(classes, out.subarray(i * K, (i + 1) * K), options.probabilities)), images: decoded.images };
    },
    async warm() {
      await run(new Float32Array(floats), 1);
    },
    release: () => session.release(),
  };
}
