/**
 * Gradient histograms: per binned column and bin, the sums of gradient and hessian and the row count,
 * interleaved as triples (one bin's three sums share a cache line). A leaf's histogram is a slot of
 * totalBins triples; column j's bins start at triple offsets[j].
 */
export interface HistogramLayout {
  /** First bin of each binned column in a slot. */
  offsets: Int32Array;
  numBins: Int32Array;
  totalBins: number;
}

export function histogramLayout(numBins: ArrayLike<number>): HistogramLayout {
  const offsets = new Int32Array(numBins.length);
  let total = 0;
  for (let j = 0; j < numBins.length; j++) {
    offsets[j] = total;
    total += numBins[j];
  }
  return { offsets, numBins: Int32Array.from(numBins), totalBins: total };
}

/** Slot `into` −= slot `from` over the given columns: what is left is the sibling's histogram. */
export function subtractHistogram(pool: Float64Array, layout: HistogramLayout, into: number, from: number, columns: Int32Array): void {
  const stride = layout.totalBins * 3;
  const delta = (from - into) * stride;
  for (let k = 0; k < columns.length; k++) {
    const start = into * stride + layout.offsets[columns[k]] * 3;
    const end = start + layout.numBins[columns[k]] * 3;
    for (let t = start; t < end; t++) pool[t] -= pool[t + delta];
  }
}
