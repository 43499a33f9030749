import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';
import type { BackendPreference } from './tf_backend';

/**
 * The dense networks' parameters, shared by mlp and logistic, kept apart from the trainer so that a
 * descriptor can name them without loading TensorFlow.js. snake_case, as they are written in mloop.json
 * and stored in the manifest.
 */
export type NetworkParams = {
  epochs: number;
  batch_size: number;
  learning_rate: number;
  /** Epochs without a better smoothed validation loss before stopping; 0 trains every epoch. */
  patience: number;
  /** Epochs trained before the early stopping may end the run. */
  min_epochs: number;
  hidden_units: number[];
  seed: number;
  backend: BackendPreference;
  /** balanced: each class weighs as much as the others in the loss, so a rare class is not ignored. */
  class_weight: 'balanced' | 'none';
  /** Upper bound of a balanced class weight, so a handful of positives cannot dominate every batch. */
  max_class_weight: number;
};

export const NETWORK_DEFAULTS: NetworkParams = {
  epochs: 30,
  batch_size: 512,
  learning_rate: 0.003,
  patience: 3,
  min_epochs: 10,
  hidden_units: [32, 16],
  seed: 42,
  backend: 'auto',
  class_weight: 'balanced',
  max_class_weight: 50,
};

export function resolveNetworkParams(params: Record<string, unknown>): NetworkParams {
  const p = checkParams('mlp/logistic', NETWORK_DEFAULTS, params);
  const count = (v: number) => Number.isInteger(v) && v > 0;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  const valid =
    [p.epochs, p.batch_size].every(count) &&
    Array.isArray(p.hidden_units) &&
    p.hidden_units.every(count) &&
    [p.learning_rate, p.max_class_weight].every(positive) &&
    Number.isInteger(p.patience) &&
    p.patience >= 0 &&
    Number.isInteger(p.min_epochs) &&
    p.min_epochs >= 0 &&
    Number.isInteger(p.seed) &&
    ['auto', 'node-gpu', 'node', 'wasm', 'cpu'].includes(p.backend) &&
    ['balanced', 'none'].includes(p.class_weight);
  if (!valid) throw new MloopError('invalid_argument', `invalid mlp/logistic parameters: ${JSON.stringify(p)}`);
  return p;
}
