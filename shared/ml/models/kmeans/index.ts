import { ONNX_OUTPUTS } from '../../onnx_io';
import type { ModelFamily } from '../family';
import { KMEANS_DEFAULTS } from './params';

/** k-means: clusters of the features alone, whatever the target; answers the cluster and the distances to every centroid. */
export const kmeans: ModelFamily = {
  name: 'kmeans',
  tasks: ['clustering'],
  defaults: KMEANS_DEFAULTS,
  // one k-means++ start and its Lloyd iterations per step
  progressUnit: 'iteration',
  takesEpochs: false,
  takesBackend: false,
  supervised: false,
  onnxOutput: () => ONNX_OUTPUTS.clustering,
};
