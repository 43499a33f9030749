import type { Random } from '../../../data/random';
import type { HistogramLayout } from '../gbdt/histogram';
import type { BinValues } from './bin_values';
import { findBestSplit, noSplit, type ColumnKinds, type SplitCandidate, type SplitFinder, type SplitRules } from '../gbdt/split';

/**
 * How a forest's tree chooses a leaf's split from the leaf's histogram, plugged into gbdt's grower.
 * Each split draws its own features, as scikit-learn's forests do: features in random order, skipping
 * those constant in the leaf (which do not count, as in scikit-learn), until `take` were looked at.
 * A random forest takes the best threshold of each; extra trees one random threshold of each (drawn
 * uniformly between the leaf's lowest and highest value, see randomSplit), then the best of those.
 */
export type SplitKind = 'best' | 'random';

type Totals = { G: number; H: number; count: number };

/** Whether the leaf's rows all fall in one bin of column f. */
function constantIn(hist: Float64Array, layout: HistogramLayout, f: number): boolean {
  const base = layout.offsets[f] * 3;
  let filled = 0;
  for (let b = 0; b < layout.numBins[f] && filled < 2; b++) if (hist[base + b * 3 + 2] > 0) filled++;
  return filled < 2;
}

/** Whether a left side of the leaf (lg, lh, lc) makes a better split than `best`, which takes it if so. */
function consider(best: SplitCandidate, totals: Totals, rules: SplitRules, f: number, bin: number, defaultLeft: boolean, lg: number, lh: number, lc: number): void {
  const { G, H, count } = totals;
  const rc = count - lc;
  const rh = H - lh;
  if (lc < rules.minDataInLeaf || rc < rules.minDataInLeaf || lh < rules.minSumHessianInLeaf || rh < rules.minSumHessianInLeaf) return;
  const rg = G - lg;
  const lambda = rules.lambdaL2;
  const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - (G * G) / (H + lambda);
  if (!(gain > rules.minGainToSplit && gain > best.gain)) return;
  best.gain = gain;
  best.column = f;
  best.bin = bin;
  best.threshold = NaN;
  best.defaultLeft = defaultLeft;
  best.leftG = lg;
  best.leftH = lh;
  best.leftCount = lc;
}

/**
 * The bins ≤ t go left of threshold u drawn in column f between lowest[lo] and highest[hi] (offsets
 * into the layout's bins), and the value the tree compares with: u itself (as float32) when it falls
 * between the values of bin t and those above, so that unseen values split as scikit-learn's tree
 * splits them; the bin's upper bound when u falls inside a bin of several values, whose rows the
 * histogram cannot part (the bin goes to the side of u that holds more of its value range).
 */
export function binOfThreshold(values: BinValues, base: number, lo: number, hi: number, u: number): { bin: number; threshold: number } {
  const { lowest, highest } = values;
  let t = lo;
  for (let b = lo + 1; b <= hi; b++) if (lowest[base + b] <= u) t = b;
  if (u < highest[base + t] && u - lowest[base + t] < highest[base + t] - u) t--;
  if (t < lo) t = lo;
  if (t >= hi) t = hi - 1;
  const x = Math.fround(u);
  let above = Infinity;
  for (let b = t + 1; b <= hi && above === Infinity; b++) above = lowest[base + b];
  return { bin: t, threshold: highest[base + t] <= x && x < above ? x : NaN };
}

/**
 * One random threshold of numeric column f into `best`, or gain −Infinity when it breaks the rules:
 * uniform between the leaf's lowest and highest value, as scikit-learn's ExtraTrees draw it. (Drawn
 * over bins instead, thresholds follow the quantiles and split skewed columns too evenly.)
 */
function randomSplit(hist: Float64Array, layout: HistogramLayout, kinds: ColumnKinds, values: BinValues, f: number, totals: Totals, rules: SplitRules, random: Random, best: SplitCandidate): void {
  const base = layout.offsets[f] * 3;
  best.gain = -Infinity;
  best.column = -1;
  const missing = kinds.missingBin[f];
  const valueBins = missing >= 0 ? missing : layout.numBins[f];
  let lo = -1;
  let hi = -1;
  for (let b = 0; b < valueBins; b++) {
    if (hist[base + b * 3 + 2] > 0) {
      if (lo < 0) lo = b;
      hi = b;
    }
  }
  const mc = missing >= 0 ? hist[base + missing * 3 + 2] : 0;
  let t: number;
  let threshold = NaN;
  if (lo < hi) {
    const at = layout.offsets[f];
    const min = values.lowest[at + lo];
    const max = values.highest[at + hi];
    ({ bin: t, threshold } = binOfThreshold(values, at, lo, hi, min + random.next() * (max - min)));
  } else {
    // values on one bin with NaN beside them: "every value against NaN" is the only split
    t = lo >= 0 && mc > 0 ? valueBins - 1 : -1;
  }
  if (t < 0) return;
  let gl = 0;
  let hl = 0;
  let cl = 0;
  for (let b = 0; b <= t; b++) {
    gl += hist[base + b * 3];
    hl += hist[base + b * 3 + 1];
    cl += hist[base + b * 3 + 2];
  }
  consider(best, totals, rules, f, t, false, gl, hl, cl);
  if (mc > 0 && t < valueBins - 1) consider(best, totals, rules, f, t, true, gl + hist[base + missing * 3], hl + hist[base + missing * 3 + 1], cl + mc);
  best.threshold = threshold;
}

/**
 * A SplitFinder drawing `take` features per split from `random`. A feature is an encoded column, as
 * scikit-learn sees the same matrix: a one-hot group (one binned column for the grower) is one feature
 * per category, each offering its one split (that category against the rest). Drawing the group as one
 * feature would look at several times more of the columns a split than `take` says (√width of groups,
 * not of columns) and make the trees of a forest over categorical data alike.
 *
 * `values` (the training values' range per bin) is what extra trees draw their thresholds over.
 */
export function forestSplitter(kind: SplitKind, take: number, random: Random, values?: BinValues): SplitFinder {
  if (kind === 'random' && !values) throw new Error('extra trees draw thresholds over the bins\' values: pass them');
  let column = new Int32Array(0);
  let category = new Int32Array(0);
  let order = new Int32Array(0);
  const one = new Int32Array(1);
  const candidate = noSplit();
  return (hist, layout, kinds, usable, totals, rules, best) => {
    best.gain = -Infinity;
    best.column = -1;
    best.threshold = NaN;
    let features = 0;
    for (let k = 0; k < usable.length; k++) features += kinds.oneHot[usable[k]] ? layout.numBins[usable[k]] - 1 : 1;
    if (column.length < features) {
      column = new Int32Array(features);
      category = new Int32Array(features);
      order = new Int32Array(features);
    }
    for (let k = 0, at = 0; k < usable.length; k++) {
      const f = usable[k];
      if (!kinds.oneHot[f]) {
        column[at] = f;
        category[at++] = -1;
      } else {
        for (let b = 1; b < layout.numBins[f]; b++) {
          column[at] = f;
          category[at++] = b;
        }
      }
    }
    for (let i = 0; i < features; i++) order[i] = i;
    let looked = 0;
    for (let i = 0; i < features && looked < take; i++) {
      // partial Fisher–Yates: order[0..i] is a uniform draw without replacement
      const j = i + random.int(features - i);
      const picked = order[j];
      order[j] = order[i];
      order[i] = picked;
      const f = column[picked];
      const b = category[picked];
      if (b >= 0) {
        const base = (layout.offsets[f] + b) * 3;
        const rc = hist[base + 2];
        if (!(rc > 0 && rc < totals.count)) continue;
        looked++;
        candidate.gain = -Infinity;
        candidate.column = -1;
        consider(candidate, totals, rules, f, b, false, totals.G - hist[base], totals.H - hist[base + 1], totals.count - rc);
      } else {
        if (constantIn(hist, layout, f)) continue;
        looked++;
        if (kind === 'best') {
          one[0] = f;
          findBestSplit(hist, layout, kinds, one, totals, rules, candidate);
        } else {
          randomSplit(hist, layout, kinds, values!, f, totals, rules, random, candidate);
        }
      }
      if (candidate.gain > best.gain) {
        best.gain = candidate.gain;
        best.column = candidate.column;
        best.bin = candidate.bin;
        best.threshold = candidate.threshold;
        best.defaultLeft = candidate.defaultLeft;
        best.leftG = candidate.leftG;
        best.leftH = candidate.leftH;
        best.leftCount = candidate.leftCount;
      }
    }
  };
}
