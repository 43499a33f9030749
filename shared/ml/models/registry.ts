import { MloopError } from '../../core/errors';
import type { ModelFamily } from './family';
import { auto } from './auto';
import { cnn } from './cnn';
import { extraTrees } from './extra_trees';
import { gbdt } from './gbdt';
import { isolationForest } from './isolation_forest';
import { linear } from './linear';
import { linearSvm } from './linear_svm';
import { kmeans } from './kmeans';
import { knn } from './knn';
import { logistic } from './logistic';
import { mlp } from './mlp';
import { randomForest } from './random_forest';

/** Every model family mloop trains: a folder under models/ each, and one line here. */
export const FAMILIES: readonly ModelFamily[] = [mlp, logistic, gbdt, isolationForest, cnn, linear, linearSvm, randomForest, extraTrees, knn, kmeans, auto];

export const FAMILY_NAMES = FAMILIES.map((f) => f.name) as [string, ...string[]];

/** What a table without `algorithm` in its mloop.json trains (an archive of images trains its own default, cnn). */
export const DEFAULT_FAMILY = auto.name;

/** Trained beside a supervised model when mloop.json asks for `unsupervised`, its score served next to the model's. */
export const ANOMALY_DETECTOR: ModelFamily = isolationForest;

export function family(name: string): ModelFamily {
  const found = FAMILIES.find((f) => f.name === name);
  if (!found) throw new MloopError('invalid_argument', `unknown algorithm "${name}": use one of ${FAMILY_NAMES.join(', ')}`, { known: FAMILY_NAMES });
  return found;
}
