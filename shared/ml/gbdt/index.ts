import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { MloopError } from '../../core/errors';
import { encodedColumns, encodedWidth, type FeatureSpec } from '../../data/encoding';
import { seededRandom, type Random } from '../../data/random';
import type { OnProgress, TrainedModel } from '../trained_model';
import { binRows, fitBins } from './binning';
import { predictForest, type Forest } from './forest';
import { TreeGrower } from './grower';
import { histogramLayout } from './histogram';
import { gainImportance } from './importance';
import { objectiveFor, type ObjectiveName } from './objective';
import { exportForestOnnx } from './onnx_trees';
import { resolveGbdtParams, type GbdtParams } from './params';
import { OBJECTIVE_CODES } from './shard_ops';
import { Shards, type SharedArrays } from './shards';
import { leafOf, type Tree } from './tree';

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

function numClassOf(data: GbdtData, task: ObjectiveName): number {
  if (task !== 'multiclass') return 1;
  let K = data.classes?.length ?? 0;
  for (const split of [data.train, data.validation]) for (let i = 0; i < split.n; i++) K = Math.max(K, split.y[i] + 1);
  if (K < 3) throw new MloopError('invalid_argument', `multiclass training needs at least 3 classes, got ${K}`);
  return K;
}

function labelsOf(split: GbdtSplit, task: ObjectiveName, K: number): Float32Array {
  const y = Float32Array.from({ length: split.n }, (_, i) => split.y[i]);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    const ok = task === 'regression' ? Number.isFinite(v) : Number.isInteger(v) && v >= 0 && v < (task === 'binary' ? 2 : K);
    if (!ok) throw new MloopError('invalid_argument', `label of row ${i} is ${v}, not a valid ${task} target`);
  }
  return y;
}

/** Below this many training rows a tree takes milliseconds and threads cannot pay for themselves. */
const MIN_ROWS_FOR_THREADS = 100_000;

function threadsFor(requested: number, n: number): number {
  if (requested > 0) return requested;
  // inside a worker thread this is a sweep's trial, whose sibling trials already use the other cores
  if (!isMainThread) return 1;
  return n >= MIN_ROWS_FOR_THREADS ? availableParallelism() : 1;
}

/** Each tree's random share of the binned columns that can split (LightGBM's feature_fraction). */
function featureSampler(splittable: Int32Array, fraction: number, random: Random): () => Int32Array {
  const take = Math.max(1, Math.round(fraction * splittable.length));
  if (take >= splittable.length) return () => splittable;
  const pool = splittable.slice();
  return () => {
    for (let i = 0; i < take; i++) {
      const j = i + random.int(pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
    }
    return pool.slice(0, take).sort();
  };
}

/**
 * The training loss of the history is measured on this many evenly spaced training rows: over all of
 * them it would cost as much as growing a tree, for a curve nobody needs to 5 digits. Early stopping
 * uses the validation loss, over every validation row.
 */
const TRAIN_LOSS_ROWS = 50_000;

function evenlySpaced(n: number, size: number): Uint32Array | null {
  if (n <= size) return null;
  return Uint32Array.from({ length: size }, (_, k) => Math.floor((k * n) / size));
}

/** Marks each row of the bag with probability `fraction`; returns the rows left out. */
function drawBag(inBag: Uint8Array, fraction: number, random: Random): Uint32Array {
  let kept = 0;
  for (let i = 0; i < inBag.length; i++) kept += inBag[i] = random.next() < fraction ? 1 : 0;
  const out = new Uint32Array(inBag.length - kept);
  for (let i = 0, o = 0; i < inBag.length; i++) if (inBag[i] === 0) out[o++] = i;
  return out;
}

/** Adds a tree's leaf values to class-major scores, for the given rows (all when null). */
function addTree(tree: Tree, X: Float32Array, width: number, rows: Uint32Array | null, n: number, scores: Float64Array, offset: number): void {
  const count = rows ? rows.length : n;
  for (let k = 0; k < count; k++) {
    const r = rows ? rows[k] : k;
    scores[offset + r] += tree.leafValue[leafOf(tree, X, r * width)];
  }
}

export async function trainGbdt(data: GbdtData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p: GbdtParams = resolveGbdtParams(params);
  const task = data.task ?? 'binary';
  const { train, validation } = data;
  const width = encodedWidth(data.specs);
  if (train.n === 0 || validation.n === 0) throw new MloopError('invalid_argument', 'training needs rows in both the train and validation splits');
  const K = numClassOf(data, task);
  const y = labelsOf(train, task, K);
  const yVal = labelsOf(validation, task, K);
  const n = train.n;
  const nv = validation.n;

  if (train.X.length !== n * width || validation.X.length !== nv * width) {
    throw new MloopError('invalid_argument', `the feature matrices are not [rows × ${width}], the width the features encode to`);
  }
  const columns = fitBins(train.X, n, data.specs, { maxBin: p.max_bin, sampleRows: p.bin_construct_sample_cnt, seed: p.seed });
  const threads = threadsFor(p.num_threads, n);
  // what worker threads read and write must be shared memory
  const buffer = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const layout = histogramLayout(columns.map((c) => c.numBins));
  const objective = objectiveFor(task, { numClass: K, scalePosWeight: p.scale_pos_weight });
  const base = objective.initScore(y, n);
  const bagging = p.bagging_freq > 0 && p.bagging_fraction < 1;
  const shared: SharedArrays = {
    n,
    numClass: K,
    objective: OBJECTIVE_CODES[task],
    scalePosWeight: p.scale_pos_weight,
    bins: binRows(train.X, n, width, columns, new Uint8Array(buffer(columns.length * n))).bins,
    g: new Float32Array(buffer(K * n * 4)),
    h: new Float32Array(buffer(K * n * 4)),
    scores: new Float64Array(buffer(K * n * 8)),
    y: new Float32Array(buffer(n * 4)),
    inBag: new Uint8Array(buffer(bagging ? n : 0)),
    goesLeft: new Uint8Array(buffer(256)),
    usable: new Int32Array(buffer(columns.length * 4)),
    leafValue: new Float64Array(buffer(p.num_leaves * 8)),
    offsets: layout.offsets,
    numBins: layout.numBins,
    totalBins: layout.totalBins,
    indices: new Uint32Array(buffer(n * 4)),
  };
  shared.y.set(y);
  const { scores } = shared;
  const valScores = new Float64Array(K * nv);
  for (let k = 0; k < K; k++) {
    scores.fill(base[k], k * n, (k + 1) * n);
    valScores.fill(base[k], k * nv, (k + 1) * nv);
  }
  const shards = new Shards(shared, threads, p.num_leaves, buffer);
  const grower = new TreeGrower(shards, columns, layout, {
    numLeaves: p.num_leaves,
    maxDepth: p.max_depth,
    learningRate: p.learning_rate,
    lambdaL2: p.lambda_l2,
    minDataInLeaf: p.min_data_in_leaf,
    minSumHessianInLeaf: p.min_sum_hessian_in_leaf,
    minGainToSplit: p.min_gain_to_split,
  });

  const random = seededRandom(p.seed);
  const splittable = Int32Array.from(columns.flatMap((c, j) => (c.numBins > 1 ? [j] : [])));
  const sampleFeatures = featureSampler(splittable, p.feature_fraction, random);
  let outOfBag: Uint32Array | null = null;
  const lossRows = evenlySpaced(n, TRAIN_LOSS_ROWS);
  const trees: Tree[] = [];
  const history: TrainedModel['history'] = [];
  let best = { iteration: 0, loss: Infinity };
  try {
    for (let iteration = 1; iteration <= p.num_iterations; iteration++) {
      const started = performance.now();
      if (bagging && (iteration - 1) % p.bagging_freq === 0) outOfBag = drawBag(shared.inBag, p.bagging_fraction, random);
      shards.gradients();
      for (let k = 0; k < K; k++) {
        const tree = grower.grow(k * n, bagging, sampleFeatures());
        // the grower added the tree to the bag's rows; the others are routed through it
        if (outOfBag) addTree(tree, train.X, width, outOfBag, n, scores, k * n);
        addTree(tree, validation.X, width, null, nv, valScores, k * nv);
        trees.push(tree);
      }
      const loss = objective.loss(scores, y, n, lossRows);
      const valLoss = objective.loss(valScores, yVal, nv, null);
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
    backend: threads > 1 ? `js, ${threads} threads` : 'js',
    params: p,
    importance: gainImportance(forest.trees, encodedColumns(data.specs)),
  };
}
