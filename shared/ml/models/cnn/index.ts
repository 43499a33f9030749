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
};
