import type { OnProgress, TrainedModel } from '../../trained_model';
import { DEFAULT_EXTRA_TREES_PARAMS } from '../forest/params';
import { trainForest } from '../forest/train';
import type { GbdtData } from '../gbdt/train';

export const trainExtraTrees = (data: GbdtData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> =>
  trainForest({ name: 'extra_trees', split: 'random', defaults: DEFAULT_EXTRA_TREES_PARAMS }, data, params, onProgress);
