/**
 * One regression tree as flat arrays. Internal node k tests `x[feature[k]] ≤ threshold[k]`, NaN going
 * the way `defaultLeft[k]` says; a child ≥ 0 is a node, a child < 0 is the leaf ~child. Thresholds are
 * float32 values held in doubles: comparing a float32 input with them decides as onnxruntime does.
 */
export interface Tree {
  /** The encoded column tested. */
  feature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Loss reduction of each split, for the gain importance. */
  gain: Float64Array;
  /** Learning rate already applied. */
  leafValue: Float64Array;
  /**
   * Training rows (of the bag) that reached each internal node and each leaf, for TreeSHAP's expectations
   * (explain/tree_shap.ts). Absent on trees built without a grower.
   */
  cover?: Float64Array;
  leafCover?: Float64Array;
}

/** The leaf a row-major input row (starting at X[at]) falls in. */
export function leafOf(tree: Tree, X: Float32Array, at: number): number {
  const { feature, threshold, defaultLeft, left, right } = tree;
  if (feature.length === 0) return 0;
  let node = 0;
  do {
    const x = X[at + feature[node]];
    node = x <= threshold[node] || (x !== x && defaultLeft[node] === 1) ? left[node] : right[node];
  } while (node >= 0);
  return ~node;
}

/** Adds a tree's leaf values to class-major scores (from `offset`), for the given rows of X. */
export function addTreeToScores(tree: Tree, X: Float32Array, width: number, rows: Uint32Array, scores: Float64Array, offset: number): void {
  for (let k = 0; k < rows.length; k++) scores[offset + rows[k]] += tree.leafValue[leafOf(tree, X, rows[k] * width)];
}
