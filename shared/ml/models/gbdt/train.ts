import { MloopError } from '../../../core/errors';
import { encodedColumns, encodedWidth, type FeatureSpec } from '../../../data/encoding';
import { seededRandom } from '../../../data/random';
import type { OnProgress, TrainedModel } from '../../trained_model';
import { fitBins } from './binning';
import { predictForest, type Forest } from './forest';
import { TreeGrower } from './grower';
import { histogramLayout } from './histogram';
import { gainImportance } from './importance';
import { checkLabels, numClassOf } from './labels';
import { objectiveFor, type ObjectiveName } from './objective';
import { treesExplainer } from './explainer';
import { exportForestOnnx } from './onnx_trees';
import { resolveGbdtParams, type GbdtParams } from './params';
import { drawBag, featureSampler } from './sampling';
import { shardArrays } from './shared_arrays';
import { MIN_ROWS_PER_THREAD, Shards, threadsFor } from './shards';
import { addTreeToScores, type Tree } from './tree';

/**
 * Histogram-based gradient boosting (LightGBM's algorithm) on the encoded rows: binary logloss,
 * softmax multiclass or squared-error regression, early stopping on the validation split, exported as
 * an ONNX tree ensemble.
 */
export type { GbdtParams } from './params';

export interface GbdtSplit {
  /** Row-major [n × width], as encodeRecords writes it. */
  X: Float32Array;
  /** 0/1 (binary), class index (multiclass) or value (regression). */
  y: ArrayLike<number>;
  n: number;
}

export interface GbdtData {
  specs: FeatureSpec[];
  /** Binary when absent. */
  task?: ObjectiveName;
  /** Multiclass: the class names, index = label. */
  classes?: readonly string[] | null;
  train: GbdtSplit;
  validation: GbdtSplit;
}

/**
 * The training loss of the history is measured on this many evenly spaced training rows: over all of
 * them it would cost a tenth of growing a tree at 100 000 rows (a logarithm a row), for a curve nobody
 * needs to 5 digits. Early stopping uses the validation loss, over every validation row.
 */
const TRAIN_LOSS_ROWS = 10_000;

export async function trainGbdt(data: GbdtData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p: GbdtParams = resolveGbdtParams(params, data.train.n);
  const task = data.task ?? 'binary';
  const { train, validation } = data;
  const width = encodedWidth(data.specs);
  if (train.n === 0 || validation.n === 0) throw new MloopError('invalid_argument', 'training needs rows in both the train and validation splits');
  const K = numClassOf(task, data.classes, [train, validation]);
  const n = train.n;
  const nv = validation.n;

  if (train.X.length !== n * width || validation.X.length !== nv * width) {
    throw new MloopError('invalid_argument', `the feature matrices are not [rows × ${width}], the width the features encode to`);
  }
  const columns = fitBins(train.X, n, data.specs, { maxBin: p.max_bin, sampleRows: p.bin_construct_sample_cnt, seed: p.seed });
  const threads = threadsFor(p.num_threads, n, MIN_ROWS_PER_THREAD);
  // what worker threads read and write must be shared memory
  const buffer = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const layout = histogramLayout(columns.map((c) => c.numBins));
  const objective = objectiveFor(task, { numClass: K, scalePosWeight: p.scale_pos_weight });
  const bagging = p.bagging_freq > 0 && p.bagging_fraction < 1;
  const shared = shardArrays({
    train,
    validation,
    width,
    columns,
    layout,
    objective: task,
    numClass: K,
    scalePosWeight: p.scale_pos_weight,
    numLeaves: p.num_leaves,
    sampled: bagging,
    binValidation: true,
    // copied as float32 straight into the shards' arrays, and checked there: no copy of them is kept
    y: train.y,
    yVal: validation.y,
    threads,
    buffer,
  });
  checkLabels(shared.y, task, K);
  checkLabels(shared.valY, task, K);
  const base = objective.initScore(shared.y, n);
  const { scores, valScores } = shared;
  for (let k = 0; k < K; k++) {
    scores.fill(base[k], k * n, (k + 1) * n);
    valScores.fill(base[k], k * nv, (k + 1) * nv);
  }

  const random = seededRandom(p.seed);
  const splittable = Int32Array.from(columns.flatMap((c, j) => (c.numBins > 1 ? [j] : [])));
  const sampleFeatures = featureSampler(splittable, p.feature_fraction, random);
  let outOfBag: Uint32Array | null = null;
  const trees: Tree[] = [];
  const history: TrainedModel['history'] = [];
  let best = { iteration: 0, loss: Infinity };
  // from here on worker threads run: whatever happens, they are ended
  const shards = new Shards(shared, threads, p.num_leaves, buffer);
  try {
    const grower = new TreeGrower(shards, columns, layout, {
      numLeaves: p.num_leaves,
      maxDepth: p.max_depth,
      learningRate: p.learning_rate,
      lambdaL2: p.lambda_l2,
      minDataInLeaf: p.min_data_in_leaf,
      minSumHessianInLeaf: p.min_sum_hessian_in_leaf,
      minGainToSplit: p.min_gain_to_split,
    });
    shards.gradients();
    for (let iteration = 1; iteration <= p.num_iterations; iteration++) {
      const started = performance.now();
      if (bagging && (iteration - 1) % p.bagging_freq === 0) outOfBag = drawBag(shared.inBag, p.bagging_fraction, random);
      for (let k = 0; k < K; k++) {
        const tree = grower.grow(k, bagging, sampleFeatures());
        // the grower added the tree to the bag's rows; the others go through it
        if (outOfBag) addTreeToScores(tree, train.X, width, outOfBag, scores, k * n);
        trees.push(tree);
      }
      // the losses of this round's scores, and the gradients of the next round, in one pass
      const { loss, valLoss } = shards.endRound(iteration < p.num_iterations, TRAIN_LOSS_ROWS);
      history.push({ iteration, loss, val_loss: valLoss });
      if (valLoss < best.loss) best = { iteration, loss: valLoss };
      await onProgress?.({ iteration, iterations: p.num_iterations, loss, val_loss: valLoss, seconds: (performance.now() - started) / 1000 });
      if (!Number.isFinite(valLoss)) break;
      if (p.early_stopping_rounds > 0 && iteration - best.iteration >= p.early_stopping_rounds) break;
    }
  } finally {
    await shards.close();
  }
  if (best.iteration === 0) {
    throw new MloopError('failed_precondition', `training diverged: the validation loss was never finite (learning rate ${p.learning_rate})`);
  }

  const forest: Forest = { objective: task, numClass: K, base, trees: trees.slice(0, best.iteration * K), width };
  return {
    onnx: exportForestOnnx(forest, `mloop gbdt ${task}, ${forest.trees.length} trees, best iteration ${best.iteration}`),
    predict: (X, rows) => predictForest(forest, X, rows),
    history,
    bestIteration: best.iteration,
    maxIterations: p.num_iterations,
    backend: threads > 1 ? `js, ${threads} threads` : 'js',
    params: p,
    importance: gainImportance(forest.trees, encodedColumns(data.specs)),
    explainer: treesExplainer(forest, task === 'binary' ? 'logistic' : task === 'multiclass' ? 'softmax' : 'identity'),
  };
}
