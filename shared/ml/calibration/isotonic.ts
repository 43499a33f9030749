/**
 * Isotonic regression of labels on scores by pool-adjacent-violators, as scikit-learn's
 * IsotonicRegression(out_of_bounds='clip') fits it: tied scores are pooled first, then adjacent blocks
 * whose means decrease are merged. The map is piecewise linear between each block's lowest and highest
 * score, flat beyond the ends, so that it is monotone and an ONNX graph can serve it exactly.
 */
export interface Isotonic {
  /** Increasing scores; at least two. */
  x: number[];
  /** The calibrated probability at each; non-decreasing. */
  y: number[];
}

export function fitIsotonic(scores: ArrayLike<number>, positive: ArrayLike<boolean>, n: number): Isotonic {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // blocks as (low score, high score, label sum, weight)
  const lo: number[] = [];
  const hi: number[] = [];
  const sum: number[] = [];
  const weight: number[] = [];
  for (const i of order) {
    const s = scores[i];
    const label = positive[i] ? 1 : 0;
    const last = lo.length - 1;
    if (last >= 0 && hi[last] === s) {
      sum[last] += label;
      weight[last] += 1;
    } else {
      lo.push(s);
      hi.push(s);
      sum.push(label);
      weight.push(1);
    }
    // merge backwards while the newest block's mean is below its predecessor's
    while (lo.length > 1) {
      const b = lo.length - 1;
      if (sum[b - 1] / weight[b - 1] <= sum[b] / weight[b]) break;
      hi[b - 1] = hi[b];
      sum[b - 1] += sum[b];
      weight[b - 1] += weight[b];
      lo.pop();
      hi.pop();
      sum.pop();
      weight.pop();
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (let b = 0; b < lo.length; b++) {
    const mean = sum[b] / weight[b];
    x.push(lo[b]);
    y.push(mean);
    if (hi[b] !== lo[b]) {
      x.push(hi[b]);
      y.push(mean);
    }
  }
  // one score only: a flat map still needs a segment to interpolate on
  if (x.length === 1) {
    x.push(x[0] + 1);
    y.push(y[0]);
  }
  return dropRedundant({ x, y });
}

/** Points in the middle of a flat run change nothing: fewer segments, a smaller graph. */
function dropRedundant({ x, y }: Isotonic): Isotonic {
  const keep = (i: number) => i === 0 || i === x.length - 1 || !(y[i - 1] === y[i] && y[i] === y[i + 1]);
  const at = x.map((_, i) => i).filter(keep);
  return { x: at.map((i) => x[i]), y: at.map((i) => y[i]) };
}

/** The segment a score falls in: the last breakpoint at or below it among x[1..m-2], as the ONNX graph counts them. */
export function applyIsotonic(map: Isotonic, score: number): number {
  const { x, y } = map;
  const m = x.length;
  const s = Math.min(Math.max(score, x[0]), x[m - 1]);
  let k = 0;
  for (let i = 1; i < m - 1; i++) if (s >= x[i]) k = i;
  const slope = x[k + 1] === x[k] ? 0 : (y[k + 1] - y[k]) / (x[k + 1] - x[k]);
  return y[k] + slope * (s - x[k]);
}
