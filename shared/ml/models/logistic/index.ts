import { outputOfTask, type ModelFamily } from '../family';
import { NETWORK_DEFAULTS } from '../network/params';

/**
 * Logistic regression — softmax regression for classes, linear regression for a value — as a network
 * without hidden layers. It takes the mlp's parameters, so that switching between the two needs no
 * edit of `params`; `hidden_units` is ignored and not recorded.
 */
export const logistic: ModelFamily = {
  name: 'logistic',
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
    return trainNetwork({ name: logistic.name, hiddenLayers: false }, data, params, onProgress);
  },
};
