import { outputOfTask, type ModelFamily } from '../family';
import { DEFAULT_EXTRA_TREES_PARAMS } from '../forest/params';

/** Extremely randomised trees: one random threshold per drawn feature, the best of those; every row by default. */
export const extraTrees: ModelFamily = {
  name: 'extra_trees',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: DEFAULT_EXTRA_TREES_PARAMS,
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: true,
  onnxOutput: outputOfTask,
};
