import { outputOfTask, type ModelFamily } from '../family';
import { DEFAULT_RANDOM_FOREST_PARAMS } from '../forest/params';

/** Bagged trees, each split the best among a random draw of features; out-of-bag score on the run. */
export const randomForest: ModelFamily = {
  name: 'random_forest',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: DEFAULT_RANDOM_FOREST_PARAMS,
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: true,
  onnxOutput: outputOfTask,
};
