import { outputOfTask, type ModelFamily } from '../family';
import { LINEAR_DEFAULTS } from './params';

/**
 * Penalised linear models on standardised features: ridge, lasso or elastic net for a value (coordinate
 * descent), logistic regression for classes (L-BFGS, OWL-QN with an L1 part; multinomial for more than
 * two classes), exported as one linear layer with the standardisation folded into its coefficients.
 */
export const linear: ModelFamily = {
  name: 'linear',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: LINEAR_DEFAULTS,
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: true,
  onnxOutput: outputOfTask,
};
