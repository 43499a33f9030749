/**
 * What walking a row down the trees reads: each tree's nodes and leaves in flat typed arrays over the
 * whole ensemble. Node k of tree t tests `x[feature] ≤ threshold` (NaN going the way `defaultLeft`
 * says); a child ≥ 0 is a node of the same tree, a child < 0 the leaf ~child — gbdt's layout
 * (models/gbdt/tree.ts). TreeSHAP's ensemble (tree_ensemble.ts) and the served tree scorer both walk it.
 */
export interface TreeNodes {
  /** The output (class) the tree adds to. */
  output: number;
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  defaultLeft: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  value: ArrayLike<number>;
}

export interface FlatTrees {
  outputs: number;
  /** Raw score of each output before any tree. */
  base: Float64Array;
  trees: number;
  treeOutput: Int32Array;
  /** Global index of tree t's first node and leaf; t+1's is where t's end. */
  nodeStart: Int32Array;
  leafStart: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  /** Local to the tree, as in TreeNodes. */
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export function flattenTrees(outputs: number, base: ArrayLike<number>, trees: readonly TreeNodes[]): FlatTrees {
  const T = trees.length;
  const nodeStart = new Int32Array(T + 1);
  const leafStart = new Int32Array(T + 1);
  trees.forEach((tree, t) => {
    nodeStart[t + 1] = nodeStart[t] + tree.feature.length;
    leafStart[t + 1] = leafStart[t] + tree.value.length;
  });
  const N = nodeStart[T];
  const f: FlatTrees = {
    outputs,
    base: Float64Array.from(base),
    trees: T,
    treeOutput: Int32Array.from(trees, (t) => t.output),
    nodeStart,
    leafStart,
    feature: new Int32Array(N),
    threshold: new Float64Array(N),
    defaultLeft: new Uint8Array(N),
    left: new Int32Array(N),
    right: new Int32Array(N),
    value: new Float64Array(leafStart[T]),
  };
  trees.forEach((tree, t) => {
    const n0 = nodeStart[t];
    for (let k = 0; k < tree.feature.length; k++) {
      f.feature[n0 + k] = tree.feature[k];
      f.threshold[n0 + k] = tree.threshold[k];
      f.defaultLeft[n0 + k] = tree.defaultLeft[k];
      f.left[n0 + k] = tree.left[k];
      f.right[n0 + k] = tree.right[k];
    }
    f.value.set(Array.from(tree.value), leafStart[t]);
  });
  return f;
}

/** The leaf (local to tree t) that the row X[at ...] reaches. */
export function leafOf(f: FlatTrees, t: number, X: ArrayLike<number>, at: number): number {
  const n0 = f.nodeStart[t];
  if (f.nodeStart[t + 1] === n0) return 0;
  let node = 0;
  do {
    const k = n0 + node;
    const x = X[at + f.feature[k]];
    node = x <= f.threshold[k] || (x !== x && f.defaultLeft[k] === 1) ? f.left[k] : f.right[k];
  } while (node >= 0);
  return ~node;
}

/** Every output's raw score for the row X[at ...] into out: the base plus its trees' leaves, summed in double. */
export function rawScores(f: FlatTrees, X: ArrayLike<number>, at: number, out: Float64Array): Float64Array {
  out.set(f.base);
  for (let t = 0; t < f.trees; t++) out[f.treeOutput[t]] += f.value[f.leafStart[t] + leafOf(f, t, X, at)];
  return out;
}
