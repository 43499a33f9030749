import { outputOfTask, type ModelFamily } from '../family';
import { NETWORK_DEFAULTS } from './params';

/**
 * A family trained by the TensorFlow.js network trainer: the mlp and logistic descriptors differ only in
 * their name (and, in the trainer table, whether the network has hidden layers). Both take the same parameters, so that switching
 * between them needs no edit of `params`.
 */
export function networkFamily(name: string): ModelFamily {
  return {
    name,
    tasks: ['binary', 'multiclass', 'regression'],
    defaults: NETWORK_DEFAULTS,
    progressUnit: 'epoch',
    takesEpochs: true,
    takesBackend: true,
    supervised: true,
    onnxOutput: outputOfTask,
  };
}
