import * as ort from 'onnxruntime-node';
import { MloopError } from '../core/errors';
import { encodedWidth, encodeRecords, validateInstances, type InstanceError } from '../data/encoding';
import type { Manifest } from './manifest';

/**
 * Serves one model version with onnxruntime-node. Records go through the same encodeRecords the
 * training data went through, so HTTP instances and holdout CSV rows are scored exactly as trained.
 */
export type Prediction = { score: number; label: 0 | 1 };

export type PredictResult = { ok: true; predictions: Prediction[] } | { ok: false; errors: InstanceError[] };

export interface Scorer {
  readonly version: string;
  readonly manifest: Manifest;
  /** Probabilities of the positive class, one per record; values may be JSON values or CSV strings. */
  scoreRecords(records: ArrayLike<Record<string, unknown>>): Promise<Float32Array>;
  /** Validates a request body, then scores it. */
  predict(instances: unknown): Promise<PredictResult>;
  release(): Promise<void>;
}

export async function loadScorer(onnxBytes: Uint8Array, manifest: Manifest): Promise<Scorer> {
  const width = encodedWidth(manifest.features);
  if (width !== manifest.input.width) {
    throw new MloopError('failed_precondition', `manifest of ${manifest.model} ${manifest.version}: features encode to ${width} columns, input.width says ${manifest.input.width}`);
  }
  // One intra-op thread: requests are small and concurrent, and a scoring instance has few cores.
  const session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const { name: input } = manifest.input;
  const { name: output } = manifest.output;
  if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
    await session.release();
    throw new MloopError(
      'failed_precondition',
      `model.onnx of ${manifest.model} ${manifest.version} has inputs [${session.inputNames}] and outputs [${session.outputNames}], expected ${input} → ${output}`,
    );
  }
  const ignorable = [manifest.target, ...manifest.dropped.map((d) => d.name)];

  const scoreRecords = async (records: ArrayLike<Record<string, unknown>>): Promise<Float32Array> => {
    if (records.length === 0) return new Float32Array(0);
    const features = new ort.Tensor('float32', encodeRecords(records, manifest.features), [records.length, width]);
    const result = await session.run({ [input]: features });
    return result[output].data as Float32Array;
  };

  return {
    version: manifest.version,
    manifest,
    scoreRecords,
    async predict(instances) {
      const checked = validateInstances(instances, manifest.features, ignorable);
      if (!checked.ok) return checked;
      const scores = await scoreRecords(checked.records);
      const predictions = new Array<Prediction>(scores.length);
      for (let i = 0; i < scores.length; i++) predictions[i] = { score: scores[i], label: scores[i] >= manifest.threshold ? 1 : 0 };
      return { ok: true, predictions };
    },
    release: () => session.release(),
  };
}
