import * as ort from 'onnxruntime-node';
import { MloopError } from '../core/errors';
import { encodedWidth, encodeRecords, validateInstances, type InstanceError } from '../data/encoding';
import type { Manifest } from './manifest';

/**
 * Serves one model version with onnxruntime-node — and its anomaly detector, when one was trained
 * beside it. Records go through the same encodeRecords the training data went through, so HTTP
 * instances and holdout CSV rows are scored exactly as trained.
 */
export type Prediction = (
  | { score: number; label: 0 | 1 }
  | { label: string; probabilities: Record<string, number> }
  | { value: number }
) & { anomaly_score?: number };

export type PredictResult = { ok: true; predictions: Prediction[] } | { ok: false; errors: InstanceError[] };

export interface Scorer {
  readonly version: string;
  readonly manifest: Manifest;
  /**
   * The model's output for each record, row-major: P(positive) or the anomaly score [n], one
   * probability per class [n × K], or the value [n]. Values may be JSON values or CSV strings.
   */
  scoreRecords(records: ArrayLike<Record<string, unknown>>): Promise<Float32Array>;
  /** Validates a request body, then scores it. */
  predict(instances: unknown): Promise<PredictResult>;
  release(): Promise<void>;
}

// One intra-op thread: requests are small and concurrent, and a scoring instance has few cores.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

async function openSession(bytes: Uint8Array, manifest: Manifest, file: string, output: string): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
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

/** `anomalyBytes` is anomaly.onnx, required when the manifest lists an unsupervised model. */
export async function loadScorer(onnxBytes: Uint8Array, manifest: Manifest, anomalyBytes?: Uint8Array): Promise<Scorer> {
  const width = encodedWidth(manifest.features);
  if (width !== manifest.input.width) {
    throw new MloopError('failed_precondition', `manifest of ${manifest.model} ${manifest.version}: features encode to ${width} columns, input.width says ${manifest.input.width}`);
  }
  if (manifest.unsupervised && !anomalyBytes) {
    throw new MloopError('failed_precondition', `${manifest.model} ${manifest.version} lists ${manifest.unsupervised.file}, which was not given`);
  }
  const session = await openSession(onnxBytes, manifest, 'model.onnx', manifest.output.name);
  let anomaly: ort.InferenceSession | null = null;
  try {
    if (manifest.unsupervised) anomaly = await openSession(anomalyBytes!, manifest, manifest.unsupervised.file, manifest.unsupervised.output);
  } catch (err) {
    await session.release();
    throw err;
  }
  const ignorable = [manifest.target, ...manifest.dropped.map((d) => d.name)];
  const run = async (on: ort.InferenceSession, output: string, features: Float32Array, n: number) => {
    const result = await on.run({ [manifest.input.name]: new ort.Tensor('float32', features, [n, width]) });
    return result[output].data as Float32Array;
  };

  const scoreRecords = async (records: ArrayLike<Record<string, unknown>>): Promise<Float32Array> => {
    if (records.length === 0) return new Float32Array(0);
    return run(session, manifest.output.name, encodeRecords(records, manifest.features), records.length);
  };

  return {
    version: manifest.version,
    manifest,
    scoreRecords,
    async predict(instances) {
      const checked = validateInstances(instances, manifest.features, ignorable);
      if (!checked.ok) return checked;
      const n = checked.records.length;
      const features = encodeRecords(checked.records, manifest.features);
      const predictions = labelled(manifest, await run(session, manifest.output.name, features, n), n);
      if (anomaly) {
        const scores = await run(anomaly, manifest.unsupervised!.output, features, n);
        for (let i = 0; i < n; i++) predictions[i].anomaly_score = scores[i];
      }
      return { ok: true, predictions };
    },
    release: async () => {
      await session.release();
      await anomaly?.release();
    },
  };
}
