import { z } from 'zod';
import { MloopError } from '../core/errors';
import { encodedWidth, encodeRecords, type FeatureSpec } from '../data/encoding';
import type { PreparedData, SplitData } from '../data/prepare';
import { ExplainerModel } from './explain/explainer_file';
import { buildEnsemble } from './explain/tree_ensemble';
import { TreeShap } from './explain/tree_shap';
import { trainTable } from './models/trainers';

/**
 * A regression model's error, estimated before labels: NannyML's Direct Loss Estimation. A second, small
 * gbdt learns |y − ŷ| on the validation split from the features and the prediction ŷ itself (the last
 * column); on a monitoring window its mean over the served rows is the estimated MAE. Valid as long as
 * the relation between features and target holds (a concept shift is invisible to it, as to any estimate
 * before labels) and the window's rows lie where the validation split had some: it learns where the model
 * errs more, and a window that moves there shows it.
 *
 * Checked at training on the test split, which neither model saw: the estimated MAE beside the realised
 * one, and the spread of |y − ŷ| around its estimate, from which the window's interval follows.
 */
export const ERROR_MODEL_FILE = 'error_model.json';

const TreesModel = z.custom<Extract<ExplainerModel, { kind: 'trees' }>>((v) => ExplainerModel.safeParse(v).success && (v as { kind: string }).kind === 'trees');

export const ErrorModelFile = z.strictObject({
  kind: z.literal('direct_loss_estimation'),
  /** The trees of |y − ŷ| over the encoded features and then ŷ, as explainer.json holds trees. */
  trees: TreesModel,
  /** On the test split. */
  reference: z.strictObject({
    rows: z.number().int().nonnegative(),
    mae: z.number(),
    rmse: z.number(),
    estimated_mae: z.number(),
    /** Standard deviation of |y − ŷ| minus its estimate, row by row: the noise the estimate cannot see. */
    residual_sd: z.number().nonnegative(),
  }),
});
export type ErrorModelFile = z.infer<typeof ErrorModelFile>;

/** Few, shallow trees: the error surface is coarse, and the validation split is small. */
const PARAMS = { num_iterations: 60, learning_rate: 0.1, num_leaves: 15, min_data_in_leaf: 50, early_stopping_rounds: 0 };
const MIN_ROWS = 200;

/** Appends ŷ to each encoded row: X [n × width] → [n × (width + 1)]. */
function withPrediction(X: Float32Array, predicted: ArrayLike<number>, n: number, width: number): Float32Array {
  const out = new Float32Array(n * (width + 1));
  for (let i = 0; i < n; i++) {
    out.set(X.subarray(i * width, (i + 1) * width), i * (width + 1));
    out[i * (width + 1) + width] = predicted[i];
  }
  return out;
}

const absErrors = (y: ArrayLike<number>, predicted: ArrayLike<number>, n: number) => Float32Array.from({ length: n }, (_, i) => Math.abs(y[i] - predicted[i]));

/** Null for another task, or too few validation rows to learn where the model errs. */
export async function fitErrorModel(data: Pick<PreparedData, 'task' | 'specs' | 'validation'> & { test: SplitData }, predicted: { validation: ArrayLike<number>; test: ArrayLike<number> }): Promise<ErrorModelFile | null> {
  if (data.task !== 'regression' || data.validation.n < MIN_ROWS) return null;
  const width = encodedWidth(data.specs);
  const { validation, test } = data;
  const prediction: FeatureSpec = { name: '__prediction', kind: 'numeric', mean: 0, std: 1, min: -Infinity, max: Infinity, fill: 0 };
  const split = (s: typeof validation, p: ArrayLike<number>) => ({ X: withPrediction(s.X, p, s.n, width), y: absErrors(s.y, p, s.n), n: s.n });
  const train = split(validation, predicted.validation);
  const model = await trainTable('gbdt', { task: 'regression', classes: null, specs: [...data.specs, prediction], train, validation: train }, PARAMS);
  const trees = model.explainer;
  if (!trees || trees.kind !== 'trees') throw new MloopError('internal', 'the error model has no trees to store');
  const held = split(test, predicted.test);
  const estimated = held.n > 0 ? model.predict(held.X, held.n) : new Float32Array(0);
  let mae = 0;
  let squares = 0;
  let estimate = 0;
  for (let i = 0; i < held.n; i++) {
    mae += held.y[i];
    squares += held.y[i] * held.y[i];
    estimate += Math.max(0, estimated[i]);
  }
  const n = Math.max(held.n, 1);
  let spread = 0;
  for (let i = 0; i < held.n; i++) spread += (held.y[i] - Math.max(0, estimated[i])) ** 2;
  return {
    kind: 'direct_loss_estimation',
    trees,
    reference: { rows: held.n, mae: mae / n, rmse: Math.sqrt(squares / n), estimated_mae: estimate / n, residual_sd: Math.sqrt(spread / Math.max(held.n - 1, 1)) },
  };
}

export function parseErrorModel(json: unknown): ErrorModelFile {
  const parsed = ErrorModelFile.safeParse(json);
  if (!parsed.success) throw new MloopError('failed_precondition', `${ERROR_MODEL_FILE} is not an error model: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Each served row's estimated |y − ŷ| from its logged features and ŷ; the trees' paths are built once. */
export class ErrorEstimator {
  private readonly shap: TreeShap;
  private readonly width: number;
  private readonly encoded: Float32Array;
  private readonly row: Float64Array;
  private readonly raw = new Float64Array(1);

  constructor(
    file: ErrorModelFile,
    private readonly specs: readonly FeatureSpec[],
  ) {
    this.width = encodedWidth(specs);
    const { trees } = file;
    if (trees.trees.some((t) => t.feature.some((f) => f > this.width))) throw new MloopError('failed_precondition', `${ERROR_MODEL_FILE} reads columns the model's features do not have`);
    const ensemble = buildEnsemble(1, trees.base, trees.trees.map((t) => ({ ...t, defaultLeft: t.default_left, leafCover: t.leaf_cover })));
    this.shap = new TreeShap(ensemble);
    this.encoded = new Float32Array(this.width);
    this.row = new Float64Array(this.width + 1);
  }

  estimate(features: Record<string, unknown>, predicted: number): number {
    encodeRecords([features], this.specs, this.encoded);
    // in float32, as the gbdt read its training columns
    for (let j = 0; j < this.width; j++) this.row[j] = this.encoded[j];
    this.row[this.width] = Math.fround(predicted);
    this.shap.raw(this.row, 0, this.raw);
    return Math.max(0, this.raw[0]);
  }
}
