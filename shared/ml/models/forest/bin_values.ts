import type { BinnedColumn } from '../gbdt/binning';
import type { HistogramLayout } from '../gbdt/histogram';

/**
 * The lowest and highest training value in each numeric bin, laid out as the histograms are (column
 * f's bin b at layout.offsets[f] + b). Extra trees draw a threshold uniformly between a node's lowest
 * and highest value, as scikit-learn does, and need values, not bins, to do so; an empty bin holds
 * +Infinity / −Infinity, and so do the one-hot groups' bins, whose splits draw no threshold.
 */
export interface BinValues {
  lowest: Float64Array;
  highest: Float64Array;
}

export function binValues(X: Float32Array, n: number, width: number, columns: readonly BinnedColumn[], bins: Uint8Array, layout: HistogramLayout): BinValues {
  const lowest = new Float64Array(layout.totalBins).fill(Infinity);
  const highest = new Float64Array(layout.totalBins).fill(-Infinity);
  columns.forEach((c, f) => {
    if (c.kind !== 'numeric') return;
    const base = layout.offsets[f];
    const C = columns.length;
    for (let i = 0; i < n; i++) {
      const x = X[i * width + c.column];
      if (x !== x) continue;
      const at = base + bins[i * C + f];
      if (x < lowest[at]) lowest[at] = x;
      if (x > highest[at]) highest[at] = x;
    }
  });
  return { lowest, highest };
}
