import { outputOfTask, type ModelFamily } from '../family';
import { NETWORK_DEFAULTS } from './params';

/**
 * A family trained by the TensorFlow.js network trainer: the mlp and logistic descriptors differ only in
 * their name and whether the network has hidden layers. Both take the same parameters, so that switching
 * between them needs no edit of `params`.
 */
export function networkFamily(name: string, hiddenLayers: boolean): ModelFamily {
  return {
    name,
    tasks: ['binary', 'multiclass', 'regression'],
    defaults: NETWORK_DEFAULTS,
    progressUnit: 'epoch',
    takesEpochs: true,
    takesBackend: true,
    supervised: true,
    onnxOutput: outputOfTask,
    async train(data, params = {}, onProgress) {
      // loaded here: TensorFlow.js takes a quarter of a second to load, which serving never needs
      const { trainNetwork } = await import('./train');
      return trainNetwork({ name, hiddenLayers }, data, params, onProgress);
    },
  };
}
