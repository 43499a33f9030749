/**
 * Quantiles and the decile bins a numeric feature is summarised with. A value falls in bin i when
 * exactly i edges are ≤ it: the outer bins are open, so values outside the training range still land
 * somewhere (the first or the last bin) and move PSI as they should.
 */

/** numpy.quantile's default (linear interpolation between order statistics) on sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** The distinct inner deciles of the reference: up to 9 edges, fewer where many values tie. */
export function decileEdges(sorted: ArrayLike<number>): number[] {
  const edges: number[] = [];
  for (const p of DECILES) {
    const q = quantileSorted(sorted, p);
    if (!Number.isNaN(q) && (edges.length === 0 || q > edges[edges.length - 1])) edges.push(q);
  }
  return edges;
}

export function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function binCounts(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i])]++;
  return counts;
}
