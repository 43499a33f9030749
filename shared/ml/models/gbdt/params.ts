import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

/**
 * Hyper-parameters of the gradient-boosted trees, under LightGBM's names so that a person who tuned
 * LightGBM can carry the values over (and so the benchmark can hand the same ones to both).
 *
 * A type alias rather than an interface, so that it can be stored where a plain JSON record is expected.
 */
export type GbdtParams = {
  /** Boosting rounds; each adds one tree per class (one in all for binary and regression). */
  num_iterations: number;
  learning_rate: number;
  num_leaves: number;
  /** -1: no limit; growth is leaf-wise and `num_leaves` is the real bound. */
  max_depth: number;
  min_data_in_leaf: number;
  min_sum_hessian_in_leaf: number;
  lambda_l2: number;
  min_gain_to_split: number;
  /** Share of the features each tree may split on, drawn per tree. */
  feature_fraction: number;
  /** Share of the training rows each tree is grown on, redrawn every `bagging_freq` rounds (0: never). */
  bagging_fraction: number;
  bagging_freq: number;
  /** Rounds without a better validation loss before stopping; 0 trains every round. */
  early_stopping_rounds: number;
  /** Weight of a positive row's gradient in binary classification, for rare positives. */
  scale_pos_weight: number;
  /** Bins per feature, the missing-value bin included. */
  max_bin: number;
  /** Training rows the bin boundaries are computed on. */
  bin_construct_sample_cnt: number;
  seed: number;
  /** Threads that build histograms: 0 picks by the data size and the cores. */
  num_threads: number;
};

/**
 * LightGBM's defaults, except where they fail on rare positives: with 20 rows per leaf and no L2, a
 * leaf holding two frauds gets an extreme value and the model overfits at 0.1 % fraud, while ~100 rows
 * per leaf and L2 = 1 hold up (measured by `npm run bench:train` on the demo data at 1 M rows).
 * These are the values from 10 000 training rows up; below, gbdtRowDefaults scales two of them down.
 */
export const DEFAULT_GBDT_PARAMS: GbdtParams = {
  num_iterations: 300,
  learning_rate: 0.05,
  num_leaves: 31,
  max_depth: -1,
  min_data_in_leaf: 100,
  min_sum_hessian_in_leaf: 1e-3,
  lambda_l2: 1,
  min_gain_to_split: 0,
  feature_fraction: 1,
  bagging_fraction: 1,
  bagging_freq: 0,
  early_stopping_rounds: 30,
  scale_pos_weight: 1,
  max_bin: 255,
  bin_construct_sample_cnt: 200_000,
  seed: 42,
  num_threads: 0,
};

const count = (v: number) => Number.isInteger(v) && v >= 1;
const nonNegativeInteger = (v: number) => Number.isInteger(v) && v >= 0;
const fraction = (v: number) => Number.isFinite(v) && v > 0 && v <= 1;

const RULES: Record<keyof GbdtParams, [(v: number) => boolean, string]> = {
  num_iterations: [count, 'a positive integer'],
  learning_rate: [(v) => Number.isFinite(v) && v > 0, 'a positive number'],
  num_leaves: [(v) => Number.isInteger(v) && v >= 2 && v <= 131_072, 'an integer in [2, 131072]'],
  max_depth: [(v) => v === -1 || count(v), '-1 (no limit) or a positive integer'],
  min_data_in_leaf: [count, 'a positive integer'],
  min_sum_hessian_in_leaf: [(v) => Number.isFinite(v) && v >= 0, 'a non-negative number'],
  lambda_l2: [(v) => Number.isFinite(v) && v >= 0, 'a non-negative number'],
  min_gain_to_split: [(v) => Number.isFinite(v) && v >= 0, 'a non-negative number'],
  feature_fraction: [fraction, 'in (0, 1]'],
  bagging_fraction: [fraction, 'in (0, 1]'],
  bagging_freq: [nonNegativeInteger, 'a non-negative integer'],
  early_stopping_rounds: [nonNegativeInteger, 'a non-negative integer'],
  scale_pos_weight: [(v) => Number.isFinite(v) && v > 0, 'a positive number'],
  // bins are stored as bytes
  max_bin: [(v) => Number.isInteger(v) && v >= 2 && v <= 256, 'an integer in [2, 256]'],
  bin_construct_sample_cnt: [count, 'a positive integer'],
  seed: [Number.isInteger, 'an integer'],
  num_threads: [nonNegativeInteger, 'a non-negative integer (0: automatic)'],
};

/**
 * The defaults that depend on the training rows, a pure function of them. 100 rows per leaf on 700 rows
 * allows a handful of leaves and left a real 1 000-row regression (modeldata's concrete) 0.05 R² below
 * LightGBM's defaults; √rows per leaf, between LightGBM's 20 and the fraud-tuned 100, matched or beat
 * LightGBM on five modeldata sets of 300–3 100 training rows (`npm run bench:real`), and reaches 100 at
 * 10 000 rows, so larger data trains as before. Small data also gets 1 000 rounds instead of 300: a round
 * costs little there, and early stopping on validation ends training long before on most.
 */
export function gbdtRowDefaults(trainRows: number): Pick<GbdtParams, 'min_data_in_leaf' | 'num_iterations'> {
  return {
    min_data_in_leaf: Math.min(100, Math.max(20, Math.round(Math.sqrt(trainRows)))),
    num_iterations: trainRows < 10_000 ? 1000 : 300,
  };
}

/**
 * Defaults filled in (those of gbdtRowDefaults for `trainRows`; without it, the large-data ones);
 * unknown names and bad values refused, with a message naming each.
 */
export function resolveGbdtParams(given: Record<string, unknown>, trainRows = Infinity): GbdtParams {
  const params = checkParams('gbdt', { ...DEFAULT_GBDT_PARAMS, ...gbdtRowDefaults(trainRows) }, given);
  const problems = (Object.keys(RULES) as Array<keyof GbdtParams>).flatMap((name) => {
    const [valid, expected] = RULES[name];
    const value: unknown = params[name];
    return typeof value === 'number' && valid(value) ? [] : [`${name} must be ${expected}, got ${JSON.stringify(value)}`];
  });
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid gbdt parameters: ${problems.join('; ')}`, { issues: problems });
  return params;
}
