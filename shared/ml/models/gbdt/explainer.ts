import { MloopError } from '../../../core/errors';
import type { ExplainerModel, Link } from '../../explain/explainer_file';
import type { Forest } from './forest';

/** A tree ensemble as explainer.json holds it, with the covers its grower recorded; tree t adds to output t mod K. */
export function treesExplainer(forest: Forest, link: Link): ExplainerModel {
  return {
    kind: 'trees',
    link,
    outputs: forest.numClass,
    base: Array.from(forest.base),
    trees: forest.trees.map((tree, t) => {
      if (!tree.cover || !tree.leafCover) throw new MloopError('internal', `tree ${t} has no covers to explain it by`);
      return {
        output: t % forest.numClass,
        feature: Array.from(tree.feature),
        threshold: Array.from(tree.threshold),
        default_left: Array.from(tree.defaultLeft),
        left: Array.from(tree.left),
        right: Array.from(tree.right),
        cover: Array.from(tree.cover),
        value: Array.from(tree.leafValue),
        leaf_cover: Array.from(tree.leafCover),
      };
    }),
  };
}
