import { seededRandom } from '../../../../shared/data/random';
import { buildEnsemble, type TreeArrays } from '../../../../shared/ml/explain/tree_ensemble';
import { TreeShap } from '../../../../shared/ml/explain/tree_shap';

/** A random tree of `leaves` leaves on `width` columns, grown by splitting random leaves, with covers that add up. */
function randomTree(random: ReturnType<typeof seededRandom>, width: number, leaves: number, output = 0): TreeArrays {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const cover: number[] = [];
  const leafCover = [100 + Math.floor(random.next() * 900)];
  const parentOf: Array<{ node: number; side: 'l' | 'r' } | null> = [null];
  while (leafCover.length < leaves) {
    const l = Math.floor(random.next() * leafCover.length);
    if (leafCover[l] < 2) continue;
    const node = feature.length;
    feature.push(Math.floor(random.next() * width));
    threshold.push(random.next());
    const parent = parentOf[l];
    if (parent) (parent.side === 'l' ? left : right)[parent.node] = node;
    cover.push(leafCover[l]);
    const share = 1 + Math.floor(random.next() * (leafCover[l] - 1));
    const r = leafCover.length;
    left.push(~l);
    right.push(~r);
    leafCover.push(leafCover[l] - share);
    leafCover[l] = share;
    parentOf[l] = { node, side: 'l' };
    parentOf.push({ node, side: 'r' });
  }
  const value = leafCover.map(() => random.next() * 2 - 1);
  return { output, feature, threshold, defaultLeft: feature.map(() => 0), left, right, cover, value, leafCover };
}

/** E[f(x) | x_S] as the covers weigh the branches a missing feature could take. */
function conditional(tree: TreeArrays, x: number[], known: Set<number>, node = 0): number {
  if (tree.feature.length === 0) return tree.value[0];
  const coverOf = (child: number) => (child >= 0 ? tree.cover[child] : tree.leafCover[~child]);
  const valueOf = (child: number) => (child >= 0 ? conditional(tree, x, known, child) : tree.value[~child]);
  const [l, r] = [tree.left[node], tree.right[node]];
  if (known.has(tree.feature[node])) return valueOf(x[tree.feature[node]] <= tree.threshold[node] ? l : r);
  return (coverOf(l) * valueOf(l) + coverOf(r) * valueOf(r)) / tree.cover[node];
}

/** The Shapley values by their definition, over every subset. */
function bruteForce(trees: TreeArrays[], x: number[], width: number): number[] {
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  const v = (mask: number) => {
    const known = new Set<number>();
    for (let j = 0; j < width; j++) if (mask & (1 << j)) known.add(j);
    return trees.reduce((sum, t) => sum + conditional(t, x, known), 0);
  };
  const phi = new Array<number>(width).fill(0);
  for (let j = 0; j < width; j++) {
    for (let mask = 0; mask < 1 << width; mask++) {
      if (mask & (1 << j)) continue;
      const size = [...Array(width).keys()].filter((k) => mask & (1 << k)).length;
      phi[j] += ((factorial(size) * factorial(width - size - 1)) / factorial(width)) * (v(mask | (1 << j)) - v(mask));
    }
  }
  return phi;
}

describe('TreeShap', () => {
  it('gives the Shapley values of the cover-weighted expectation, a feature tested several times on a path included', () => {
    const random = seededRandom(5);
    const width = 4;
    const trees = Array.from({ length: 6 }, () => randomTree(random, width, 2 + Math.floor(random.next() * 12)));
    const shap = new TreeShap(buildEnsemble(1, [0.25], trees));
    for (let row = 0; row < 30; row++) {
      const x = Array.from({ length: width }, () => random.next());
      const phi = new Float64Array(width);
      shap.explain(x, 0, 0, phi);
      const expected = bruteForce(trees, x, width);
      for (let j = 0; j < width; j++) expect(phi[j]).toBeCloseTo(expected[j], 10);
      const raw = shap.raw(x, 0, new Float64Array(1))[0];
      expect(shap.baseValue(0) + phi.reduce((a, b) => a + b, 0)).toBeCloseTo(raw, 10);
    }
  });

  it('reads a path the same with its tests as bits (trees of at most 32 nodes) and one test at a time (larger trees)', () => {
    const random = seededRandom(12);
    const width = 5;
    // 2 to 40 leaves: trees on both sides of the 32 nodes the bit masks hold
    const trees = Array.from({ length: 8 }, () => randomTree(random, width, 2 + Math.floor(random.next() * 39)));
    const small = buildEnsemble(1, [0], trees.filter((t) => t.feature.length <= 32));
    expect(small.masked).toBe(true);
    const large = buildEnsemble(1, [0], trees);
    expect(large.masked).toBe(false);
    for (const ensemble of [small, large]) {
      const bits = new TreeShap(ensemble);
      const unmasked = new TreeShap({ ...ensemble, masked: false });
      for (let row = 0; row < 20; row++) {
        const x = Array.from({ length: width }, () => random.next());
        const [a, b] = [new Float64Array(width), new Float64Array(width)];
        bits.explain(x, 0, 0, a);
        unmasked.explain(x, 0, 0, b);
        expect(a).toEqual(b);
      }
    }
    // and the larger trees are still exact
    const x = [0.1, 0.5, 0.9, 0.3, 0.7];
    const phi = new Float64Array(width);
    new TreeShap(large).explain(x, 0, 0, phi);
    bruteForce(trees, x, width).forEach((v, j) => expect(phi[j]).toBeCloseTo(v, 10));
  });

  it('explains one output of a multi-output ensemble with only its trees, and a tree of one leaf adds to the base', () => {
    const random = seededRandom(9);
    const trees = [randomTree(random, 3, 5, 0), randomTree(random, 3, 7, 1), randomTree(random, 3, 1, 1)];
    const shap = new TreeShap(buildEnsemble(2, [0, 1], trees));
    const x = [0.3, 0.6, 0.9];
    const raw = shap.raw(x, 0, new Float64Array(2));
    for (const k of [0, 1]) {
      const phi = new Float64Array(3);
      shap.explain(x, 0, k, phi);
      expect(phi).toEqual(Float64Array.from(bruteForce(trees.filter((t) => t.output === k), x, 3)).map((v, j) => (Math.abs(v - phi[j]) < 1e-12 ? phi[j] : v)));
      expect(shap.baseValue(k) + phi.reduce((a, b) => a + b, 0)).toBeCloseTo(raw[k], 12);
    }
    expect(shap.baseValue(1)).toBeCloseTo(1 + trees[2].value[0] + Array.from(trees[1].value).reduce((s: number, v: number, l: number) => s + (v * trees[1].leafCover[l]) / trees[1].cover[0], 0), 12);
  });
});
