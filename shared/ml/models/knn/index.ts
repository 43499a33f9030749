import { outputOfTask, type ModelFamily } from '../family';
import { KNN_DEFAULTS } from './params';

/** k nearest neighbours over a stored, standardised sample of the training rows, exported as a plain ONNX graph. */
export const knn: ModelFamily = {
  name: 'knn',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: KNN_DEFAULTS,
  // storing the rows is one step
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: true,
  onnxOutput: outputOfTask,
};
