import { MloopError } from '../../../core/errors';
import { outputOfTask, type ImageFamily } from '../family';
import { CNN_DEFAULTS } from './params';

/**
 * A convolutional network trained from scratch (or from the production version's weights) on images,
 * one class per folder; two classes or more, always answered as probabilities.
 */
export const cnn: ImageFamily = {
  name: 'cnn',
  input: 'image',
  tasks: ['multiclass'],
  defaults: CNN_DEFAULTS,
  progressUnit: 'epoch',
  takesEpochs: true,
  takesBackend: true,
  supervised: true,
  onnxOutput: outputOfTask,
  async train() {
    throw new MloopError('invalid_argument', 'cnn trains on images (one folder of them per class), not on a table\'s columns: give it an image dataset');
  },
  async trainImages(data, params = {}, onProgress, options = {}) {
    // loaded here: TensorFlow.js takes a quarter of a second to load, which serving never needs
    const { trainCnn } = await import('./train');
    return trainCnn(data, params, onProgress, options);
  },
};
