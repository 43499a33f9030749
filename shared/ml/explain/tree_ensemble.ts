import { flattenTrees, type FlatTrees, type TreeNodes } from './flat_trees';

/**
 * Trees as TreeSHAP reads them: the walk's flat arrays (flat_trees.ts) and, per node, the number of
 * training rows that reached it (its cover): path-dependent TreeSHAP weighs the unseen branch by it.
 *
 * Each leaf's path from the root is precomputed once, grouped by the feature it tests: for a row, a
 * leaf's part of the explanation then only needs which of the path's tests the row passes.
 */
export interface TreeArrays extends TreeNodes {
  /** Rows that reached each internal node. */
  cover: ArrayLike<number>;
  leafCover: ArrayLike<number>;
}

export interface TreeEnsemble extends FlatTrees {
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
  const flat = flattenTrees(outputs, base, trees);
  const { trees: T, nodeStart, leafStart } = flat;
  const L = leafStart[T];
  const e: TreeEnsemble = {
    ...flat,
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
    let total = 0;
    let weighted = 0;
    for (let l = 0; l < tree.value.length; l++) {
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
