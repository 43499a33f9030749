import { MloopError } from '../../core/errors';
import type { ImageTrainingData } from '../../data/images/image_spec';
import type { ImageTrainedModel, OnProgress, TrainedModel } from '../trained_model';
import type { TrainingData } from '../training_data';
import type { WarmStart } from './family';
import { family } from './registry';

type TableTrainer = (data: TrainingData, params: Record<string, unknown>, onProgress?: OnProgress) => Promise<TrainedModel>;
type ImageTrainer = (data: ImageTrainingData, params: Record<string, unknown>, onProgress?: OnProgress, options?: { warmStart?: WarmStart }) => Promise<ImageTrainedModel>;

/**
 * Each family's trainer, loaded on first use. Only the training path (fit, the job, `mloop train`)
 * imports this table; the descriptors in registry.ts hold no trainer code, so what serving bundles (the
 * scorer reads the registry to check a manifest) holds neither a trainer nor TensorFlow.js. A family is
 * a folder, a line in registry.ts and a line here.
 */
const TABLE_TRAINERS: Record<string, () => Promise<TableTrainer>> = {
  mlp: async () => {
    const { trainNetwork } = await import('./network/train');
    return (data, params, onProgress) => trainNetwork({ name: 'mlp', hiddenLayers: true }, data, params, onProgress);
  },
  logistic: async () => {
    const { trainNetwork } = await import('./network/train');
    return (data, params, onProgress) => trainNetwork({ name: 'logistic', hiddenLayers: false }, data, params, onProgress);
  },
  gbdt: async () => (await import('./gbdt/train')).trainGbdt,
  isolation_forest: async () => (await import('./isolation_forest/train')).trainIsolationForest,
  linear: async () => (await import('./linear/train')).trainLinear,
  linear_svm: async () => (await import('./linear_svm/train')).trainLinearSvm,
  auto: async () => (await import('./auto/train')).trainAuto,
  random_forest: async () => (await import('./random_forest/train')).trainRandomForest,
  extra_trees: async () => (await import('./extra_trees/train')).trainExtraTrees,
  knn: async () => (await import('./knn/train')).trainKnn,
  kmeans: async () => (await import('./kmeans/train')).trainKmeans,
};

const IMAGE_TRAINERS: Record<string, () => Promise<ImageTrainer>> = {
  cnn: async () => (await import('./cnn/train')).trainCnn,
};

/** Trains a table's family on the train split, stopping early on validation. */
export async function trainTable(name: string, data: TrainingData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const chosen = family(name);
  const load = TABLE_TRAINERS[chosen.name];
  if (!load) throw new MloopError('invalid_argument', `${chosen.name} trains on images (one folder of them per class), not on a table's columns: give it an image dataset`);
  return (await load())(data, params, onProgress);
}

/** Trains an image family, from the production version's weights when `warmStart` fits. */
export async function trainImages(
  name: string,
  data: ImageTrainingData,
  params: Record<string, unknown> = {},
  onProgress?: OnProgress,
  options: { warmStart?: WarmStart } = {},
): Promise<ImageTrainedModel> {
  const chosen = family(name);
  const load = IMAGE_TRAINERS[chosen.name];
  if (!load) throw new MloopError('invalid_argument', `${chosen.name} trains on a table's columns, not on images`);
  return (await load())(data, params, onProgress, options);
}

/** The families with a trainer here, for the registry test to hold both lists equal. */
export const TRAINED_FAMILIES = [...Object.keys(TABLE_TRAINERS), ...Object.keys(IMAGE_TRAINERS)];
