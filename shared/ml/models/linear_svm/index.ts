import { outputOfTask, type ModelFamily } from '../family';
import { LINEAR_SVM_DEFAULTS } from './params';

/**
 * A linear support-vector classifier (hinge or squared hinge, one-vs-rest beyond two classes): squared
 * hinge on the primal by L-BFGS, hinge by liblinear's dual coordinate descent; its margins become
 * probabilities through a Platt sigmoid fitted on the validation split, since mloop serves probabilities.
 */
export const linearSvm: ModelFamily = {
  name: 'linear_svm',
  tasks: ['binary', 'multiclass'],
  defaults: LINEAR_SVM_DEFAULTS,
  // an L-BFGS iteration, or a pass of the dual solver over the rows
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: true,
  selfCalibrated: true,
  onnxOutput: outputOfTask,
};
