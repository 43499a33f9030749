import { encodedColumns, type FeatureSpec } from '../../../data/encoding';
import { seededRandom } from '../../../data/random';

/**
 * What the trees split on: each encoded column reduced to at most 256 bins, one byte per value.
 *
 * A numeric column gets quantile bins, LightGBM-style, whose boundaries are float32 numbers, so that
 * "bin ≤ b" during training and "x ≤ bound" in the trainer's predict and in onnxruntime (which compares
 * float32 inputs) decide every row identically.
 *
 * The one-hot columns of a categorical feature are binned together, as one column whose bin is the
 * category that is hot (0: none): they are mutually exclusive by construction, and one pass over
 * them builds the histograms of all their columns at once (LightGBM's exclusive feature bundling, known
 * here from the encoding instead of searched for). A 50-category feature costs one histogram pass, not 50.
 */
export type BinnedColumn =
  | {
      kind: 'numeric';
      /** The encoded column. */
      column: number;
      /**
       * Upper bound of each value bin, ascending, each representable in float32; the last is +Infinity.
       * A value belongs to the first bin whose bound it does not exceed.
       */
      upper: Float64Array;
      /** The bin of NaN (just after the value bins), or -1 when no training row was NaN. */
      missingBin: number;
      numBins: number;
    }
  | {
      kind: 'onehot';
      /** The encoded columns of the categories; the one of category c is hot in bin c + 1. */
      columns: Int32Array;
      numBins: number;
    };

export interface BinnedData {
  n: number;
  columns: BinnedColumn[];
  /** Row-major [n × columns]: binned column j of row i at i·columns + j, so a row's bins share a cache line. */
  bins: Uint8Array;
}

/** The float32 threshold of a one-hot split: 0 goes left, 1 right. */
export const ONE_HOT_THRESHOLD = 0.5;

/** A boundary strictly between two adjacent distinct float32 values, itself a float32. */
function between(a: number, b: number): number {
  const mid = Math.fround((a + b) / 2);
  return mid < b ? mid : a;
}

/**
 * Greedy equal-frequency bins over the distinct values of a sorted sample: a value that alone holds
 * more than a bin's share (a zero balance) gets a bin of its own rather than swallowing its neighbours.
 */
export function binBounds(sorted: Float32Array, maxValueBins: number): Float64Array {
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) counts[counts.length - 1]++;
    else {
      distinct.push(sorted[i]);
      counts.push(1);
    }
  }
  const upper: number[] = [];
  if (distinct.length <= maxValueBins) {
    for (let k = 0; k + 1 < distinct.length; k++) upper.push(between(distinct[k], distinct[k + 1]));
  } else {
    let rest = sorted.length;
    let binsLeft = maxValueBins;
    let inBin = 0;
    for (let k = 0; k + 1 < distinct.length && binsLeft > 1; k++) {
      inBin += counts[k];
      const share = rest / binsLeft;
      if (inBin >= share || counts[k + 1] >= share) {
        upper.push(between(distinct[k], distinct[k + 1]));
        rest -= inBin;
        binsLeft--;
        inBin = 0;
      }
    }
  }
  upper.push(Infinity);
  return Float64Array.from(upper);
}

function sampleRows(n: number, size: number, seed: number): Uint32Array {
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  if (size >= n) return all;
  // partial Fisher–Yates: the first `size` entries become a uniform sample without replacement
  const random = seededRandom(seed);
  for (let i = 0; i < size; i++) {
    const j = i + random.int(n - i);
    const tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
  }
  return all.subarray(0, size).sort();
}

/**
 * The encoded columns of each categorical feature with at least two categories, when the rows bear out
 * that they are one-hot (0/1, never two hot at once); columns that do not are binned as numbers.
 */
function oneHotGroups(X: Float32Array, n: number, width: number, specs: readonly FeatureSpec[]): Int32Array[] {
  const byFeature = new Map<string, number[]>();
  encodedColumns(specs).forEach((c, j) => {
    if (c.kind === 'categorical') byFeature.set(c.feature, [...(byFeature.get(c.feature) ?? []), j]);
  });
  return [...byFeature.values()]
    .filter((columns) => columns.length >= 2)
    .filter((columns) => {
      for (let i = 0; i < n; i++) {
        let hot = 0;
        for (const j of columns) {
          const x = X[i * width + j];
          if (x !== 0 && x !== 1) return false;
          hot += x;
        }
        if (hot > 1) return false;
      }
      return true;
    })
    .map((columns) => Int32Array.from(columns));
}

/** Bin boundaries from a sample of the rows; whether a column has a missing bin, from all of them. */
export function fitBins(
  X: Float32Array,
  n: number,
  specs: readonly FeatureSpec[],
  opts: { maxBin: number; sampleRows: number; seed: number },
): BinnedColumn[] {
  const width = encodedColumns(specs).length;
  // a group is binned as one column only while its categories fit a byte
  const groups = oneHotGroups(X, n, width, specs).filter((g) => g.length + 1 <= opts.maxBin);
  const grouped = new Set(groups.flatMap((g) => Array.from(g)));
  const hasNaN = new Uint8Array(width);
  for (let at = 0; at < n * width; at++) if (X[at] !== X[at]) hasNaN[at % width] = 1;
  const rows = sampleRows(n, opts.sampleRows, opts.seed);
  const values = new Float32Array(rows.length);
  const columns: BinnedColumn[] = [];
  for (let j = 0; j < width; j++) {
    if (grouped.has(j)) continue;
    let m = 0;
    for (let k = 0; k < rows.length; k++) {
      const x = X[rows[k] * width + j];
      if (x === x) values[m++] = x;
    }
    const upper = binBounds(values.subarray(0, m).sort(), opts.maxBin - hasNaN[j]);
    columns.push({ kind: 'numeric', column: j, upper, missingBin: hasNaN[j] ? upper.length : -1, numBins: upper.length + hasNaN[j] });
  }
  for (const group of groups) columns.push({ kind: 'onehot', columns: group, numBins: group.length + 1 });
  const first = (c: BinnedColumn) => (c.kind === 'numeric' ? c.column : c.columns[0]);
  return columns.sort((a, b) => first(a) - first(b));
}

/** The bin of one numeric value; NaN in a column without a missing bin lands above every value, as +Infinity. */
function binOf(x: number, upper: Float64Array, missingBin: number): number {
  if (x !== x && missingBin >= 0) return missingBin;
  let lo = 0;
  let hi = upper.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= upper[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** `bins` may be given, for bins that worker threads share. */
export function binRows(X: Float32Array, n: number, width: number, columns: BinnedColumn[], bins: Uint8Array = new Uint8Array(columns.length * n)): BinnedData {
  const C = columns.length;
  columns.forEach((c, j) => {
    if (c.kind === 'numeric') {
      for (let i = 0; i < n; i++) bins[i * C + j] = binOf(X[i * width + c.column], c.upper, c.missingBin);
    } else {
      for (let i = 0; i < n; i++) bins[i * C + j] = 0;
      c.columns.forEach((column, k) => {
        for (let i = 0; i < n; i++) if (X[i * width + column] === 1) bins[i * C + j] = k + 1;
      });
    }
  });
  return { n, columns, bins };
}
