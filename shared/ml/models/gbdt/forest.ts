import { softmaxRows } from '../../softmax';
import type { ObjectiveName } from './objective';
import { leafOf, type Tree } from './tree';

/**
 * The trained ensemble and its forward pass. Tree t adds to the raw score of class t mod K. The sum is
 * taken in double, tree after tree from 0, and the base score added last — the order onnxruntime's
 * TreeEnsembleRegressor sums in when it is fed doubles — so both round the same double to float32.
 */
export interface Forest {
  objective: ObjectiveName;
  numClass: number;
  /** Raw score of each class before any tree. */
  base: Float64Array;
  trees: Tree[];
  /** Encoded input columns. */
  width: number;
}

/** Raw scores, row-major [n × K], rounded to float32 as the ONNX graph's tree output is. */
export function predictRaw(forest: Forest, X: Float32Array, n: number): Float32Array {
  const { numClass: K, trees, base, width } = forest;
  const out = new Float32Array(n * K);
  const sums = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const at = i * width;
    for (let t = 0; t < trees.length; t++) {
      const tree = trees[t];
      sums[t % K] += tree.leafValue[leafOf(tree, X, at)];
    }
    for (let k = 0; k < K; k++) out[i * K + k] = sums[k] + base[k];
  }
  return out;
}

/** What the model answers, per the contract: P(positive) [n], class probabilities [n × K] or a value [n]. */
export function predictForest(forest: Forest, X: Float32Array, n: number): Float32Array {
  const raw = predictRaw(forest, X, n);
  if (forest.objective === 'regression') return raw;
  if (forest.objective === 'binary') return raw.map((z) => 1 / (1 + Math.exp(-z)));
  return softmaxRows(raw, n, forest.numClass);
}
