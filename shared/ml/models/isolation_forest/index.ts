import { ONNX_OUTPUTS } from '../../onnx_io';
import type { ModelFamily } from '../family';
import { ISOLATION_FOREST_DEFAULTS } from './params';

/** Isolation forest: an anomaly score from the features alone, whatever the target. */
export const isolationForest: ModelFamily = {
  name: 'isolation_forest',
  tasks: ['anomaly'],
  defaults: ISOLATION_FOREST_DEFAULTS,
  // one tree per step
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: false,
  onnxOutput: () => ONNX_OUTPUTS.anomaly,
};
