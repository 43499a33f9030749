/**
 * Trees as TreeSHAP reads them, in flat typed arrays over the whole ensemble. Node k of tree t tests
 * `x[feature] ≤ threshold` (NaN going the way `defaultLeft` says); a child ≥ 0 is a node of the same
 * tree, a child < 0 the leaf ~child — gbdt's layout (models/gbdt/tree.ts). A cover is the number of
 * training rows that reached the node: path-dependent TreeSHAP weighs the unseen branch by it.
 *
 * Each leaf's path from the root is precomputed once, grouped by the feature it tests: for a row, a
 * leaf's part of the explanation then only needs which of the path's tests the row passes.
 */
export interface TreeArrays {
  /** The output (class) the tree adds to. */
  output: number;
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  defaultLeft: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  /** Rows that reached each internal node. */
  cover: ArrayLike<number>;
  value: ArrayLike<number>;
  leafCover: ArrayLike<number>;
}

export interface TreeEnsemble {
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
  /** Local to the tree, as in TreeArrays. */
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  /** Each tree's mean leaf value over the training rows (cover-weighted): its part of the base value. */
  expected: Float64Array;
  /** Per leaf: its path's distinct features, [uniqueStart[l], uniqueStart[l+1]). */
  uniqueStart: Int32Array;
  uniqueFeature: Int32Array;
  /** Share of the training rows reaching the leaf's path that pass this feature's tests: the product of cover ratios. */
  uniqueZero: Float64Array;
  /** Per distinct feature of a path: its tests, [condStart[u], condStart[u+1]). */
  condStart: Int32Array;
  /** Global node index, and 1 when the path goes left there. */
  condNode: Int32Array;
  condLeft: Uint8Array;
  /**
   * When every tree has at most 32 internal nodes (gbdt's default 31 leaves): per distinct feature of a
   * path, its tests' nodes as bits of a 32-bit mask (bit k: the tree's node k) and the ones the path goes
   * left at, so that whether a row passes them all is one comparison against the row's goLeft bits.
   */
  masked: boolean;
  uniqueMask: Int32Array;
  uniqueLeftMask: Int32Array;
  /** Most distinct features on any path, for the scratch arrays. */
  maxDepth: number;
  maxNodes: number;
}

export function buildEnsemble(outputs: number, base: ArrayLike<number>, trees: readonly TreeArrays[]): TreeEnsemble {
  const T = trees.length;
  const nodeStart = new Int32Array(T + 1);
  const leafStart = new Int32Array(T + 1);
  trees.forEach((tree, t) => {
    nodeStart[t + 1] = nodeStart[t] + tree.feature.length;
    leafStart[t + 1] = leafStart[t] + tree.value.length;
  });
  const N = nodeStart[T];
  const L = leafStart[T];
  const e: TreeEnsemble = {
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
    value: new Float64Array(L),
    expected: new Float64Array(T),
    uniqueStart: new Int32Array(L + 1),
    uniqueFeature: new Int32Array(0),
    uniqueZero: new Float64Array(0),
    condStart: new Int32Array(0),
    condNode: new Int32Array(0),
    condLeft: new Uint8Array(0),
    masked: false,
    uniqueMask: new Int32Array(0),
    uniqueLeftMask: new Int32Array(0),
    maxDepth: 0,
    maxNodes: 0,
  };
  const uniqueFeature: number[] = [];
  const uniqueZero: number[] = [];
  const condStart: number[] = [0];
  const condNode: number[] = [];
  const condLeft: number[] = [];
  const uniqueMask: number[] = [];
  const uniqueLeftMask: number[] = [];
  trees.forEach((tree, t) => {
    const n0 = nodeStart[t];
    const l0 = leafStart[t];
    const nodes = tree.feature.length;
    e.maxNodes = Math.max(e.maxNodes, nodes);
    for (let k = 0; k < nodes; k++) {
      e.feature[n0 + k] = tree.feature[k];
      e.threshold[n0 + k] = tree.threshold[k];
      e.defaultLeft[n0 + k] = tree.defaultLeft[k];
      e.left[n0 + k] = tree.left[k];
      e.right[n0 + k] = tree.right[k];
    }
    let total = 0;
    let weighted = 0;
    for (let l = 0; l < tree.value.length; l++) {
      e.value[l0 + l] = tree.value[l];
      total += tree.leafCover[l];
      weighted += tree.leafCover[l] * tree.value[l];
    }
    e.expected[t] = nodes === 0 ? tree.value[0] : weighted / total;
    // every leaf's path, root first: (node, went left, zero fraction)
    const paths: Array<Array<{ node: number; left: boolean; zero: number }>> = new Array(tree.value.length);
    const walk = (node: number, path: Array<{ node: number; left: boolean; zero: number }>) => {
      for (const goLeft of [true, false]) {
        const child = goLeft ? tree.left[node] : tree.right[node];
        const childCover = child >= 0 ? tree.cover[child] : tree.leafCover[~child];
        const next = [...path, { node, left: goLeft, zero: childCover / tree.cover[node] }];
        if (child >= 0) walk(child, next);
        else paths[~child] = next;
      }
    };
    if (nodes > 0) walk(0, []);
    else paths[0] = [];
    for (let l = 0; l < tree.value.length; l++) {
      e.uniqueStart[l0 + l] = uniqueFeature.length;
      const byFeature = new Map<number, Array<{ node: number; left: boolean; zero: number }>>();
      for (const step of paths[l]) {
        const f = tree.feature[step.node];
        byFeature.set(f, [...(byFeature.get(f) ?? []), step]);
      }
      for (const [f, steps] of byFeature) {
        uniqueFeature.push(f);
        uniqueZero.push(steps.reduce((z, s) => z * s.zero, 1));
        let mask = 0;
        let leftMask = 0;
        for (const s of steps) {
          condNode.push(n0 + s.node);
          condLeft.push(s.left ? 1 : 0);
          if (s.node < 32) {
            mask |= 1 << s.node;
            if (s.left) leftMask |= 1 << s.node;
          }
        }
        uniqueMask.push(mask);
        uniqueLeftMask.push(leftMask);
        condStart.push(condNode.length);
      }
      e.maxDepth = Math.max(e.maxDepth, byFeature.size);
    }
  });
  e.uniqueStart[L] = uniqueFeature.length;
  e.uniqueFeature = Int32Array.from(uniqueFeature);
  e.uniqueZero = Float64Array.from(uniqueZero);
  e.condStart = Int32Array.from(condStart);
  e.condNode = Int32Array.from(condNode);
  e.condLeft = Uint8Array.from(condLeft);
  e.masked = e.maxNodes <= 32;
  e.uniqueMask = Int32Array.from(uniqueMask);
  e.uniqueLeftMask = Int32Array.from(uniqueLeftMask);
  return e;
}
