import type { Algorithm } from './algorithms';
import { trainGbdt } from './gbdt';
import { trainIsolationForest } from './isolation_forest';
import { trainNetwork } from './train_tf';
import type { OnProgress, TrainedModel } from './trained_model';
import type { TrainingData } from './training_data';

/** Every model family mloop trains, behind one call: the pipeline never needs to know which it got. */
export async function trainModel(algorithm: Algorithm, data: TrainingData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  switch (algorithm) {
    case 'mlp':
    case 'logistic':
      return trainNetwork(algorithm, data, params, onProgress);
    case 'gbdt':
      return trainGbdt(data, params, onProgress);
    case 'isolation_forest':
      return trainIsolationForest(data, params, onProgress);
  }
}
