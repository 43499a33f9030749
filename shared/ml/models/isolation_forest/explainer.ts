import type { ExplainerModel, TreeJson } from '../../explain/explainer_file';
import type { Forest } from './train';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The float32 just below t: for a float32 x, x < t exactly when x ≤ it. */
function below(t: number): number {
  f32[0] = t;
  if (f32[0] === 0) return -1.401298464324817e-45;
  i32[0] += f32[0] > 0 ? -1 : 1;
  return f32[0];
}

/**
 * The isolation forest as explainer.json's trees: each tree's nodes renumbered from its root, its
 * `x < threshold` tests written as `x ≤` the float32 below, NaN going right as it does here. A leaf's
 * value is its path length over the number of trees, so the raw score is E[h(x)], the mean path length,
 * and the anomaly score 2^(−E[h]/c(ψ)): a feature that shortens the path (negative) makes a row more anomalous.
 */
export function isolationExplainer(forest: Forest): ExplainerModel {
  const T = forest.roots.length;
  const trees: TreeJson[] = Array.from(forest.roots, (root) => {
    const tree: TreeJson = { output: 0, feature: [], threshold: [], default_left: [], left: [], right: [], cover: [], value: [], leaf_cover: [] };
    const visit = (node: number): number => {
      if (forest.feature[node] < 0) {
        tree.value.push(forest.pathLength[node] / T);
        tree.leaf_cover.push(forest.size[node]);
        return ~(tree.value.length - 1);
      }
      const k = tree.feature.length;
      tree.feature.push(forest.feature[node]);
      tree.threshold.push(below(forest.threshold[node]));
      tree.default_left.push(0);
      tree.cover.push(forest.size[node]);
      tree.left.push(0);
      tree.right.push(0);
      tree.left[k] = visit(forest.left[node]);
      tree.right[k] = visit(forest.right[node]);
      return k;
    };
    visit(root);
    return tree;
  });
  return { kind: 'trees', link: 'isolation', outputs: 1, base: [0], norm: forest.norm, trees };
}
