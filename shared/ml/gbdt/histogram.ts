/**
 * Gradient histograms: per binned column and bin, the sums of gradient and hessian and the row count,
 * interleaved as triples (one bin's three sums share a cache line). All histograms of a tree live in one
 * pool, a slot per leaf; column j's bins start at triple offsets[j] of a slot.
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

/**
 * Everything a histogram pass reads and writes. The buffers may live in SharedArrayBuffers, so that
 * worker threads build disjoint columns of the same histogram.
 */
export interface HistogramInputs {
  /** Column-major bins [columns × n]. */
  bins: Uint8Array;
  n: number;
  layout: HistogramLayout;
  /** Gradients and hessians of every class, class-major [K × n]. */
  g: Float32Array;
  h: Float32Array;
  /** The row partition: each leaf's rows are a run of it. */
  indices: Uint32Array;
  /** Slots of totalBins triples each. */
  pool: Float64Array;
}

/** One leaf's histogram to build. */
export interface HistogramTask {
  /** Start of this tree's class in g and h. */
  gradOffset: number;
  begin: number;
  count: number;
  slot: number;
}

/**
 * Fills columns[from..to)'s part of the task's slot. The leaf's gradients are first gathered into
 * `og`/`oh` in row order, so that the passes read them sequentially (LightGBM's ordered gradients) and
 * only the bins are read scattered. Columns go two per pass: the row index and the gradients are loaded
 * once for both, and the two read-modify-writes of a row do not wait on each other.
 */
export function buildHistogram(
  input: HistogramInputs,
  task: HistogramTask,
  columns: Int32Array,
  from: number,
  to: number,
  og: Float32Array,
  oh: Float32Array,
): void {
  const { bins, n, layout, g, h, indices, pool } = input;
  const { gradOffset, begin, count } = task;
  const { offsets, numBins } = layout;
  const slotStart = task.slot * layout.totalBins * 3;
  for (let i = 0; i < count; i++) {
    const r = gradOffset + indices[begin + i];
    og[i] = g[r];
    oh[i] = h[r];
  }
  for (let k = from; k < to; k++) {
    const base = slotStart + offsets[columns[k]] * 3;
    pool.fill(0, base, base + numBins[columns[k]] * 3);
  }
  let k = from;
  for (; k + 1 < to; k += 2) {
    const c0 = columns[k] * n;
    const c1 = columns[k + 1] * n;
    const b0 = slotStart + offsets[columns[k]] * 3;
    const b1 = slotStart + offsets[columns[k + 1]] * 3;
    for (let i = 0; i < count; i++) {
      const r = indices[begin + i];
      const gi = og[i];
      const hi = oh[i];
      const x = b0 + bins[c0 + r] * 3;
      pool[x] += gi;
      pool[x + 1] += hi;
      pool[x + 2]++;
      const y = b1 + bins[c1 + r] * 3;
      pool[y] += gi;
      pool[y + 1] += hi;
      pool[y + 2]++;
    }
  }
  if (k < to) {
    const c0 = columns[k] * n;
    const b0 = slotStart + offsets[columns[k]] * 3;
    for (let i = 0; i < count; i++) {
      const x = b0 + bins[c0 + indices[begin + i]] * 3;
      pool[x] += og[i];
      pool[x + 1] += oh[i];
      pool[x + 2]++;
    }
  }
}

/** Builds a leaf's histogram, on this thread or spread over workers. */
export interface HistogramBuilder {
  readonly threads: number;
  build(task: HistogramTask, columns: Int32Array): void;
  close(): Promise<void>;
}

export function localHistogramBuilder(input: HistogramInputs): HistogramBuilder {
  const og = new Float32Array(input.n);
  const oh = new Float32Array(input.n);
  return {
    threads: 1,
    build: (task, columns) => buildHistogram(input, task, columns, 0, columns.length, og, oh),
    close: async () => {},
  };
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
