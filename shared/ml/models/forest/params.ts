import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

/**
 * Hyper-parameters of the random forest and extra trees, under scikit-learn's names so that a person
 * who tuned scikit-learn's forests can carry the values over (and the benchmark hands both the same).
 *
 * A type alias rather than an interface, so that it can be stored where a plain JSON record is expected.
 */
export type ForestParams = {
  /** Trees; a multiclass forest grows one per class for each. */
  n_estimators: number;
  /**
   * Features each split chooses among: 'auto' (the square root of the columns for classification, all
   * of them for regression, as scikit-learn's defaults), 'sqrt', 'log2', or a share in (0, 1].
   */
  max_features: 'auto' | 'sqrt' | 'log2' | number;
  min_samples_leaf: number;
  /** -1: no limit. */
  max_depth: number;
  /** The bound on every tree's size: best-first growth stops there (scikit-learn's is none). */
  max_leaf_nodes: number;
  /** Each tree on a bootstrap sample of the rows (with replacement), the others its out-of-bag rows. */
  bootstrap: boolean;
  /** Rows of each bootstrap sample, as a share of the training rows. */
  max_samples: number;
  /** Bins per feature, the missing-value bin included. */
  max_bin: number;
  seed: number;
  /** Threads that build histograms: 0 picks by the data size and the cores. */
  num_threads: number;
};

/**
 * scikit-learn's defaults but for two bounds that keep a million rows tractable: at most 4 096 leaves a
 * tree, and feature values in 255 bins rather than every distinct value as thresholds.
 */
const FOREST_DEFAULTS: ForestParams = {
  n_estimators: 100,
  max_features: 'auto',
  min_samples_leaf: 1,
  max_depth: -1,
  max_leaf_nodes: 4096,
  bootstrap: true,
  max_samples: 1,
  max_bin: 255,
  seed: 42,
  num_threads: 0,
};

export const DEFAULT_RANDOM_FOREST_PARAMS: ForestParams = FOREST_DEFAULTS;
/** Extra trees grow on every row, as scikit-learn's do: their randomness is in the thresholds. */
export const DEFAULT_EXTRA_TREES_PARAMS: ForestParams = { ...FOREST_DEFAULTS, bootstrap: false };

const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
const fraction = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1;

const RULES: Record<keyof ForestParams, [(v: unknown) => boolean, string]> = {
  n_estimators: [(v) => count(v) && (v as number) <= 10_000, 'an integer in [1, 10000]'],
  max_features: [(v) => v === 'auto' || v === 'sqrt' || v === 'log2' || fraction(v), '"auto", "sqrt", "log2" or a share in (0, 1]'],
  min_samples_leaf: [count, 'a positive integer'],
  max_depth: [(v) => v === -1 || count(v), '-1 (no limit) or a positive integer'],
  max_leaf_nodes: [(v) => Number.isInteger(v) && (v as number) >= 2 && (v as number) <= 131_072, 'an integer in [2, 131072]'],
  bootstrap: [(v) => typeof v === 'boolean', 'true or false'],
  max_samples: [fraction, 'a share in (0, 1]'],
  // bins are stored as bytes
  max_bin: [(v) => Number.isInteger(v) && (v as number) >= 2 && (v as number) <= 256, 'an integer in [2, 256]'],
  seed: [Number.isInteger, 'an integer'],
  num_threads: [(v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer (0: automatic)'],
};

/** Defaults filled in; unknown names and bad values refused, with a message naming each. */
export function resolveForestParams(family: string, defaults: ForestParams, given: Record<string, unknown>): ForestParams {
  const params = checkParams(family, defaults, given);
  const problems = (Object.keys(RULES) as Array<keyof ForestParams>).flatMap((name) => {
    const [valid, expected] = RULES[name];
    return valid(params[name]) ? [] : [`${name} must be ${expected}, got ${JSON.stringify(params[name])}`];
  });
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid ${family} parameters: ${problems.join('; ')}`, { issues: problems });
  return params;
}

/** How many features a split draws, of `columns` encoded ones (scikit-learn counts encoded columns too). */
export function featuresPerSplit(maxFeatures: ForestParams['max_features'], columns: number, regression: boolean): number {
  const share =
    maxFeatures === 'auto' ? (regression ? columns : Math.sqrt(columns)) : maxFeatures === 'sqrt' ? Math.sqrt(columns) : maxFeatures === 'log2' ? Math.log2(columns) : maxFeatures * columns;
  return Math.max(1, Math.floor(share));
}
