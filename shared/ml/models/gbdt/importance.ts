import type { EncodedColumn } from '../../../data/encoding';
import type { Tree } from './tree';

/**
 * Gain importance (LightGBM's importance_type="gain"): the loss reduction of every split on a feature,
 * summed over the trees kept. The one-hot columns of a categorical feature count as that feature, since
 * a person asks which inputs matter, not which encoded columns. Sorted by gain, highest first.
 */
export function gainImportance(trees: Tree[], columns: EncodedColumn[]): Array<{ feature: string; gain: number }> {
  const byFeature = new Map<string, number>(columns.map((c) => [c.feature, 0]));
  for (const tree of trees) {
    for (let node = 0; node < tree.feature.length; node++) {
      const name = columns[tree.feature[node]].feature;
      byFeature.set(name, byFeature.get(name)! + tree.gain[node]);
    }
  }
  return [...byFeature].map(([feature, gain]) => ({ feature, gain })).sort((a, b) => b.gain - a.gain || (a.feature < b.feature ? -1 : 1));
}
