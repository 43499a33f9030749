import type { OnProgress, TrainedModel } from '../../trained_model';
import { DEFAULT_RANDOM_FOREST_PARAMS } from '../forest/params';
import { trainForest } from '../forest/train';
import type { GbdtData } from '../gbdt/train';

export const trainRandomForest = (data: GbdtData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> =>
  trainForest({ name: 'random_forest', split: 'best', defaults: DEFAULT_RANDOM_FOREST_PARAMS }, data, params, onProgress);
