import { MloopError } from '../../../core/errors';
import { encodedWidth } from '../../../data/encoding';
import { seededRandom, shuffleInPlace, type Random } from '../../../data/random';
import type { OnProgress, TrainedModel } from '../../trained_model';
import type { TrainingData } from '../../training_data';
import { isolationExplainer } from './explainer';
import { exportIsolationForest } from './onnx';
import { resolveIsolationForestParams, type IsolationForestParams } from './params';

/**
 * Isolation forest (Liu, Ting and Zhou, 2008): anomalies are few and different, so random splits
 * isolate them in fewer steps than normal rows. Each tree grows on a small subsample down to
 * ⌈log2 ψ⌉ levels; a row's score is 2^(−E[h(x)] / c(ψ)), in [0, 1], higher is more anomalous. It never
 * reads the labels: they only serve to evaluate it when they exist.
 */

const EULER_GAMMA = 0.5772156649015329;

/** The average path length of an unsuccessful search in a binary search tree of n rows. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * All trees in flat arrays, nodes of a tree contiguous from its root. A leaf has feature −1 and carries
 * its depth plus c(size), the path length the unbuilt subtree below it would have added on average.
 */
export interface Forest {
  roots: Int32Array;
  feature: Int32Array;
  /** Go left when x < threshold; float32, the precision the rows and the ONNX graph have. */
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** float32, as the ONNX leaf weights hold it. */
  pathLength: Float32Array;
  /** Subsample rows that reached each node: TreeSHAP's covers. */
  size: Float64Array;
  /** c(ψ), the normaliser of the score. */
  norm: number;
}

class ForestBuilder {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  pathLength: number[] = [];
  size: number[] = [];

  node(size: number): number {
    this.size.push(size);
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.pathLength.push(0);
    return this.feature.length - 1;
  }
}

/** A split value strictly above the smallest value, so that both sides keep at least one row. */
function splitValue(min: number, max: number, random: Random): number {
  const value = Math.fround(min + random.next() * (max - min));
  return value > min ? value : max;
}

function growTree(X: Float32Array, width: number, rows: Uint32Array, limit: number, random: Random, out: ForestBuilder): number {
  const features = Uint32Array.from({ length: width }, (_, j) => j);
  const grow = (part: Uint32Array, depth: number): number => {
    const id = out.node(part.length);
    if (depth >= limit || part.length <= 1) {
      out.pathLength[id] = depth + averagePathLength(part.length);
      return id;
    }
    // A feature constant within the node cannot split it: try the others, in random order, before giving up.
    shuffleInPlace(features, random);
    for (const j of features) {
      let min = Infinity;
      let max = -Infinity;
      for (const row of part) {
        const v = X[row * width + j];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (!(max > min)) continue;
      const threshold = splitValue(min, max, random);
      const below = part.filter((row) => X[row * width + j] < threshold);
      const above = part.filter((row) => !(X[row * width + j] < threshold));
      out.feature[id] = j;
      out.threshold[id] = threshold;
      out.left[id] = grow(below, depth + 1);
      out.right[id] = grow(above, depth + 1);
      return id;
    }
    out.pathLength[id] = depth + averagePathLength(part.length);
    return id;
  };
  return grow(rows, 0);
}

async function fitForest(X: Float32Array, n: number, width: number, p: IsolationForestParams, onTree?: (tree: number) => Promise<void>): Promise<Forest> {
  const random = seededRandom(p.seed);
  const psi = Math.min(p.max_samples, n);
  const limit = Math.ceil(Math.log2(Math.max(psi, 2)));
  const builder = new ForestBuilder();
  const roots = new Int32Array(p.n_estimators);
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < p.n_estimators; t++) {
    // a partial Fisher–Yates: the first ψ of the shuffle are a sample without replacement
    for (let i = 0; i < psi; i++) {
      const j = i + random.int(n - i);
      const tmp = all[i];
      all[i] = all[j];
      all[j] = tmp;
    }
    roots[t] = growTree(X, width, all.slice(0, psi), limit, random, builder);
    await onTree?.(t + 1);
  }
  return {
    roots,
    feature: Int32Array.from(builder.feature),
    threshold: Float32Array.from(builder.threshold),
    left: Int32Array.from(builder.left),
    right: Int32Array.from(builder.right),
    pathLength: Float32Array.from(builder.pathLength),
    size: Float64Array.from(builder.size),
    norm: averagePathLength(psi),
  };
}

/** Mean path length over the trees, per row. */
function meanPathLengths(forest: Forest, X: Float32Array, n: number, width: number): Float64Array {
  const { roots, feature, threshold, left, right, pathLength } = forest;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * width;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      while (feature[node] >= 0) node = X[base + feature[node]] < threshold[node] ? left[node] : right[node];
      sum += pathLength[node];
    }
    out[i] = sum / roots.length;
  }
  return out;
}

/** 2^(−E[h]/c(ψ)) in the float32 steps of the graph: Mul by −1/c(ψ), then Pow. */
function anomalyScores(forest: Forest, X: Float32Array, n: number, width: number): Float32Array {
  const factor = Math.fround(-1 / forest.norm);
  const lengths = meanPathLengths(forest, X, n, width);
  return Float32Array.from(lengths, (h) => 2 ** Math.fround(Math.fround(h) * factor));
}

/** Trained on the features of the training split only; `data.train.y` is never read. */
export async function trainIsolationForest(data: Pick<TrainingData, 'specs' | 'train'>, params: Record<string, unknown> = {}, onProgress?: OnProgress): Promise<TrainedModel> {
  const p = resolveIsolationForestParams(params);
  const width = encodedWidth(data.specs);
  const { X, n } = data.train;
  if (n < 2) throw new MloopError('invalid_argument', `an isolation forest needs at least 2 training rows, got ${n}`);
  let last = performance.now();
  const forest = await fitForest(X, n, width, p, async (tree) => {
    const now = performance.now();
    await onProgress?.({ iteration: tree, iterations: p.n_estimators, seconds: (now - last) / 1000 });
    last = now;
  });
  return {
    onnx: exportIsolationForest(forest, width, `mloop isolation forest: ${p.n_estimators} trees of ${Math.min(p.max_samples, n)} rows`),
    predict: (rows, count) => anomalyScores(forest, rows, count, width),
    history: [],
    bestIteration: p.n_estimators,
    maxIterations: p.n_estimators,
    backend: 'js',
    params: { ...p },
    explainer: isolationExplainer(forest),
  };
}
