import { MloopError } from '../../../core/errors';
import { encodedColumns, encodedWidth } from '../../../data/encoding';
import { seededRandom } from '../../../data/random';
import type { OnProgress, TrainedModel } from '../../trained_model';
import { fitBins } from '../gbdt/binning';
import type { Forest } from '../gbdt/forest';
import { TreeGrower } from '../gbdt/grower';
import { histogramLayout } from '../gbdt/histogram';
import { treesExplainer } from '../gbdt/explainer';
import { gainImportance } from '../gbdt/importance';
import { labelsOf, numClassOf } from '../gbdt/labels';
import { evenlySpaced } from '../gbdt/sampling';
import { shardArrays } from '../gbdt/shared_arrays';
import { Shards, threadsFor } from '../gbdt/shards';
import { addTreeToScores, type Tree } from '../gbdt/tree';
import type { GbdtData } from '../gbdt/train';
import { binValues } from './bin_values';
import { drawBootstrap } from './bootstrap';
import { exportAveragedForest } from './onnx';
import { featuresPerSplit, resolveForestParams, type ForestParams } from './params';
import { predictAveraged } from './predict';
import { averagedLoss, outOfBagMetrics } from './scores';
import { forestSplitter, type SplitKind } from './split_choice';

/**
 * Random forest and extra trees (Breiman 2001; Geurts, Ernst and Wehenkel 2006) grown by gbdt's
 * histogram tree learner. A forest needs no gradient: a tree grown on g = −y·w, h = w (w a row's count
 * in the bootstrap sample) with no L2 splits on the weighted variance reduction — for a 0/1 target,
 * Gini's splits exactly — and its leaves hold the weighted mean of y. Binary grows one tree on the
 * label, multiclass one tree per class on its 0/1 indicator, regression one on the value. Leaf values
 * are divided by the number of trees, so the ensemble's sum is the forest's average, exported as gbdt's.
 */
export interface ForestFamily {
  name: string;
  split: SplitKind;
  defaults: ForestParams;
}

/** Training rows the history's loss is measured on: the curve needs no more. */
const TRAIN_LOSS_ROWS = 50_000;

export async function trainForest(family: ForestFamily, data: GbdtData, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p = resolveForestParams(family.name, family.defaults, params);
  const task = data.task ?? 'binary';
  const { train, validation } = data;
  const width = encodedWidth(data.specs);
  if (train.n === 0 || validation.n === 0) throw new MloopError('invalid_argument', 'training needs rows in both the train and validation splits');
  if (train.X.length !== train.n * width || validation.X.length !== validation.n * width) {
    throw new MloopError('invalid_argument', `the feature matrices are not [rows × ${width}], the width the features encode to`);
  }
  const K = numClassOf(task, data.classes, [train, validation]);
  const y = labelsOf(train, task, K);
  const yVal = labelsOf(validation, task, K);
  const { n } = train;
  const nv = validation.n;
  const T = p.n_estimators;

  const columns = fitBins(train.X, n, data.specs, { maxBin: p.max_bin, sampleRows: 200_000, seed: p.seed });
  const threads = threadsFor(p.num_threads, n);
  const buffer = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const layout = histogramLayout(columns.map((c) => c.numBins));
  const L = p.max_leaf_nodes;
  const shared = shardArrays({
    train,
    validation,
    width,
    columns,
    layout,
    objective: task,
    numClass: K,
    scalePosWeight: 1,
    numLeaves: L,
    sampled: p.bootstrap,
    y,
    yVal,
    threads,
    buffer,
  });

  const random = seededRandom(p.seed);
  const splittable = Int32Array.from(columns.flatMap((c, j) => (c.numBins > 1 ? [j] : [])));
  const take = featuresPerSplit(p.max_features, width, task === 'regression');
  const counts = new Float32Array(p.bootstrap ? n : 0);
  const draws = Math.max(1, Math.round(p.max_samples * n));
  const oobSums = new Float64Array(p.bootstrap ? K * n : 0);
  const votes = new Uint32Array(p.bootstrap ? n : 0);
  const lossRows = evenlySpaced(n, TRAIN_LOSS_ROWS);
  const trainSums = new Float64Array(K * n);
  const valRows = evenlySpaced(nv, nv);
  const trees: Tree[] = [];
  const history: TrainedModel['history'] = [];
  const shards = new Shards(shared, threads, L, buffer);
  try {
    const grower = new TreeGrower(shards, columns, layout, {
      numLeaves: L,
      maxDepth: p.max_depth,
      learningRate: 1 / T,
      lambdaL2: 0,
      minDataInLeaf: p.min_samples_leaf,
      minSumHessianInLeaf: 0,
      minGainToSplit: 0,
      chooseSplit: forestSplitter(family.split, take, random, family.split === 'random' ? binValues(train.X, n, width, columns, shared.bins, layout) : undefined),
    });
    for (let iteration = 1; iteration <= T; iteration++) {
      const started = performance.now();
      const outOfBag = p.bootstrap ? drawBootstrap(counts, shared.inBag, draws, random) : null;
      for (let k = 0; k < K; k++) {
        const { g, h } = shared;
        const at = k * n;
        for (let i = 0; i < n; i++) {
          const w = outOfBag ? counts[i] : 1;
          const target = task === 'multiclass' ? (y[i] === k ? 1 : 0) : y[i];
          g[at + i] = -target * w;
          h[at + i] = w;
        }
        const tree = grower.grow(k, p.bootstrap, splittable);
        trees.push(tree);
        addTreeToScores(tree, train.X, width, lossRows, trainSums, at);
        if (outOfBag) addTreeToScores(tree, train.X, width, outOfBag, oobSums, at);
      }
      if (outOfBag) for (const i of outOfBag) votes[i]++;
      const scale = T / iteration;
      const loss = averagedLoss(task, trainSums, n, K, y, lossRows, scale);
      const valLoss = averagedLoss(task, shared.valScores, nv, K, yVal, valRows, scale);
      history.push({ iteration, loss, val_loss: valLoss });
      await onProgress?.({ iteration, iterations: T, loss, val_loss: valLoss, seconds: (performance.now() - started) / 1000 });
    }
  } finally {
    await shards.close();
  }

  const forest: Forest = { objective: task, numClass: K, base: new Float64Array(K), trees, width };
  const leaves = trees.reduce((sum, t) => sum + t.leafValue.length, 0);
  return {
    onnx: exportAveragedForest(forest, `mloop ${family.name} ${task}, ${T} trees${K > 1 ? ` per class` : ''}, ${leaves} leaves`),
    predict: (X, rows) => predictAveraged(forest, X, rows),
    history,
    bestIteration: T,
    maxIterations: T,
    backend: threads > 1 ? `js, ${threads} threads` : 'js',
    params: p,
    importance: gainImportance(trees, encodedColumns(data.specs)),
    // the raw score is the mean of the trees: a probability, or class shares normalised to sum to one
    explainer: treesExplainer(forest, task === 'multiclass' ? 'normalise' : 'identity'),
    ...(p.bootstrap ? { metrics: outOfBagMetrics(task, oobSums, votes, n, K, y, T) } : {}),
  };
}
