import { outputOfTask, type ModelFamily } from '../family';
import { DEFAULT_GBDT_PARAMS } from './params';

/** Histogram-based gradient-boosted trees (LightGBM's algorithm), exported as an ONNX tree ensemble. */
export const gbdt: ModelFamily = {
  name: 'gbdt',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: DEFAULT_GBDT_PARAMS,
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: true,
  onnxOutput: outputOfTask,
};
