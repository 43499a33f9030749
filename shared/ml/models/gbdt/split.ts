import type { HistogramLayout } from './histogram';

/**
 * The best split of one leaf from its histogram. For a numeric column: every boundary between value
 * bins, with the missing-value bin sent left and right in turn (LightGBM's learned default direction),
 * plus "missing against the rest". For a one-hot group: each category against the others, which is
 * a split of that category's 0/1 column. The gain is the reduction of the L2-regularised loss,
 * G²/(H+λ) per side minus the parent's.
 */
export interface SplitRules {
  lambdaL2: number;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  minGainToSplit: number;
}

export interface SplitCandidate {
  /** -Infinity when no split satisfies the rules. */
  gain: number;
  /** The binned column. */
  column: number;
  /** Numeric: value bins ≤ bin go left. One-hot: the rows of bin go right, all others left. */
  bin: number;
  /** Whether NaN goes left. */
  defaultLeft: boolean;
  /**
   * Numeric: the value the tree compares with, NaN for the bin's upper bound. Another value must send
   * every training row of the leaf the way its bin goes (an extra tree's drawn threshold does).
   */
  threshold: number;
  leftG: number;
  leftH: number;
  leftCount: number;
}

export const noSplit = (): SplitCandidate => ({ gain: -Infinity, column: -1, bin: -1, defaultLeft: false, threshold: NaN, leftG: 0, leftH: 0, leftCount: 0 });

/** Per binned column, as typed arrays so the search stays monomorphic. */
export interface ColumnKinds {
  oneHot: Uint8Array;
  missingBin: Int32Array;
}

/** Chooses a leaf's split from its histogram into `best`, as findBestSplit does (its signature). */
export type SplitFinder = typeof findBestSplit;

export function findBestSplit(
  hist: Float64Array,
  layout: HistogramLayout,
  kinds: ColumnKinds,
  usable: Int32Array,
  totals: { G: number; H: number; count: number },
  rules: SplitRules,
  best: SplitCandidate,
): void {
  const { G, H, count } = totals;
  const { lambdaL2: lambda, minDataInLeaf: minData, minSumHessianInLeaf: minHess } = rules;
  const parentScore = (G * G) / (H + lambda);
  const threshold = rules.minGainToSplit;
  best.gain = -Infinity;
  best.column = -1;
  best.threshold = NaN;
  const consider = (gain: number, column: number, bin: number, defaultLeft: boolean, lg: number, lh: number, lc: number) => {
    if (gain > threshold && gain > best.gain) {
      best.gain = gain;
      best.column = column;
      best.bin = bin;
      best.defaultLeft = defaultLeft;
      best.leftG = lg;
      best.leftH = lh;
      best.leftCount = lc;
    }
  };
  for (let k = 0; k < usable.length; k++) {
    const f = usable[k];
    const base = layout.offsets[f] * 3;
    if (kinds.oneHot[f]) {
      for (let b = 1; b < layout.numBins[f]; b++) {
        const rg = hist[base + b * 3];
        const rh = hist[base + b * 3 + 1];
        const rc = hist[base + b * 3 + 2];
        const lc = count - rc;
        const lh = H - rh;
        if (lc < minData || rc < minData || lh < minHess || rh < minHess) continue;
        const lg = G - rg;
        consider((lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore, f, b, false, lg, lh, lc);
      }
      continue;
    }
    const missing = kinds.missingBin[f];
    const valueBins = missing >= 0 ? missing : layout.numBins[f];
    let mg = 0;
    let mh = 0;
    let mc = 0;
    if (missing >= 0) {
      mg = hist[base + missing * 3];
      mh = hist[base + missing * 3 + 1];
      mc = hist[base + missing * 3 + 2];
    }
    let gl = 0;
    let hl = 0;
    let cl = 0;
    // with rows in the missing bin, "every value left, NaN right" is a split too
    const last = mc > 0 ? valueBins - 1 : valueBins - 2;
    for (let t = 0; t <= last; t++) {
      gl += hist[base + t * 3];
      hl += hist[base + t * 3 + 1];
      cl += hist[base + t * 3 + 2];
      for (let side = 0; side < (mc > 0 && t < valueBins - 1 ? 2 : 1); side++) {
        const lg = side === 0 ? gl : gl + mg;
        const lh = side === 0 ? hl : hl + mh;
        const lc = side === 0 ? cl : cl + mc;
        const rc = count - lc;
        const rh = H - lh;
        if (lc < minData || rc < minData || lh < minHess || rh < minHess) continue;
        const rg = G - lg;
        consider((lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parentScore, f, t, side === 1, lg, lh, lc);
      }
    }
  }
}
