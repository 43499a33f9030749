import type { PreparedData } from '../data/prepare';
import { trainTable } from './models/trainers';
import type { Selection } from './selection';
import type { OnProgress, TrainedModel } from './trained_model';

/**
 * A trained model reduced to what outlives the trainer: its ONNX, how it trained, and its own
 * predictions on validation (to choose a threshold or a sweep's winner) and on test (to evaluate it).
 * Plain data, so that it can come back from a worker thread.
 */
export type FitData = Pick<PreparedData, 'task' | 'classes' | 'specs' | 'train' | 'validation'> & { test: Pick<PreparedData['test'], 'X' | 'n'> };

export interface Fitted extends Omit<TrainedModel, 'predict' | 'chosen'> {
  /** The family that trained the model: the one asked for, or the one a pseudo-family (auto) chose. */
  algorithm: string;
  /** How a pseudo-family chose `algorithm`; absent when the family asked for trained it. */
  selection?: Selection;
  predictions: { validation: Float32Array; test: Float32Array };
}

export async function fit(algorithm: string, data: FitData, params: Record<string, unknown>, onProgress?: OnProgress): Promise<Fitted> {
  const { predict, chosen, ...model } = await trainTable(algorithm, data, params, onProgress);
  return {
    ...model,
    algorithm: chosen?.family ?? algorithm,
    ...(chosen ? { selection: chosen.selection } : {}),
    predictions: { validation: predict(data.validation.X, data.validation.n), test: predict(data.test.X, data.test.n) },
  };
}
