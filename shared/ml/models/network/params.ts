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
  /**
   * balanced: each class weighs as much as the others in the loss, so a rare class is not ignored. Not
   * the default: on the demo fraud data (0.5 % positives) the capped 50-fold weights made the validation loss
   * too noisy to stop on and cost test PR AUC (0.32 against 0.41 unweighted at 100 k rows, 30 epochs).
   */
  class_weight: 'balanced' | 'none';
  /** Upper bound of a balanced class weight, so a handful of positives cannot dominate every batch. */
  max_class_weight: number;
};

export const NETWORK_DEFAULTS: NetworkParams = {
  epochs: 30,
  // a step costs its ~60 kernels' dispatch more than its arithmetic: a 1 024-row step took 1.1–1.6× the
  // CPU time of a 512-row one ([11, 32, 16, 1], wasm), a 2 048-row one 1.9×; Adam's rate grows with the
  // batch. On the demo fraud data 2 048 rows at 0.008 reached test PR AUC 0.40 at 100 k rows and 0.37 at
  // 1 M (512 at 0.003: 0.41 at 100 k in 1.6× the CPU time; 1 024 at 0.005: 0.37 at 1 M)
  batch_size: 2048,
  learning_rate: 0.008,
  patience: 3,
  min_epochs: 10,
  hidden_units: [32, 16],
  seed: 42,
  backend: 'auto',
  class_weight: 'none',
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
