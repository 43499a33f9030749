import { outputOfTask, type ModelFamily } from '../family';
import { NETWORK_DEFAULTS } from '../network/params';

/** A dense network with hidden Relu layers, trained with TensorFlow.js. */
export const mlp: ModelFamily = {
  name: 'mlp',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: NETWORK_DEFAULTS,
  progressUnit: 'epoch',
  takesEpochs: true,
  takesBackend: true,
  supervised: true,
  onnxOutput: outputOfTask,
  async train(data, params = {}, onProgress) {
    // loaded here: TensorFlow.js takes a quarter of a second to load, which serving never needs
    const { trainNetwork } = await import('../network/train');
    return trainNetwork({ name: mlp.name, hiddenLayers: true }, data, params, onProgress);
  },
};
