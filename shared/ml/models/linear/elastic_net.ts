/**
 * Ridge, lasso and elastic net by cyclic coordinate descent, scikit-learn's enet_coordinate_descent:
 *
 *   min_w  1/(2n) |y − Zw|² + l1 |w|₁ + l2/2 |w|²
 *
 * on standardised (so centred) columns and a centred target, the intercept being the target's mean.
 * Each pass updates every coefficient by soft-thresholding against the residual; when the largest
 * change of a pass is small against the largest coefficient, the duality gap is computed and the solver
 * stops once it is below tol · |y|². With no L1 part the gap is ridge's (the elastic-net formula
 * degenerates there); with no penalty at all, the squared gradient scaled by each column's curvature
 * (what one more pass could still gain) stands for it.
 */
export interface CoordinateDescentResult {
  w: Float64Array;
  passes: number;
  /** The last duality gap measured, relative to |y|². */
  gap: number;
  converged: boolean;
}

export interface CoordinateDescentOptions {
  l1: number;
  l2: number;
  maxIter: number;
  tol: number;
  /** Where the passes start (a closed-form ridge solution, which they then confirm); zeros otherwise. */
  start?: Float64Array | null;
  /** After each pass, with the mean squared residual; awaited, so that progress can be written. */
  onPass?: (pass: number, w: Float64Array, meanSquaredResidual: number) => void | Promise<void>;
}

function dot(Z: Float32Array, offset: number, r: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Z[offset + i] * r[i];
  return s;
}

/** Z column-major [width × n]; y centred. */
export async function elasticNet(Z: Float32Array, y: Float64Array, n: number, width: number, options: CoordinateDescentOptions): Promise<CoordinateDescentResult> {
  const alpha = options.l1 * n;
  const beta = options.l2 * n;
  const w = options.start ? Float64Array.from(options.start) : new Float64Array(width);
  const r = Float64Array.from(y);
  for (let j = 0; j < width; j++) {
    if (w[j] === 0) continue;
    for (let i = 0; i < n; i++) r[i] -= w[j] * Z[j * n + i];
  }
  const norms = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Z[j * n + i] * Z[j * n + i];
    norms[j] = s;
  }
  let yy = 0;
  for (let i = 0; i < n; i++) yy += y[i] * y[i];
  if (yy === 0) return { w, passes: 0, gap: 0, converged: true };
  const tol = options.tol * yy;
  const XtA = new Float64Array(width);
  let gap = Infinity;
  let pass = 0;
  let converged = false;
  while (pass < options.maxIter) {
    pass++;
    let wMax = 0;
    let dwMax = 0;
    for (let j = 0; j < width; j++) {
      if (norms[j] === 0) continue;
      const offset = j * n;
      const old = w[j];
      const tmp = dot(Z, offset, r, n) + old * norms[j];
      const shrunk = Math.max(Math.abs(tmp) - alpha, 0);
      const next = shrunk === 0 ? 0 : (Math.sign(tmp) * shrunk) / (norms[j] + beta);
      if (next !== old) {
        const d = next - old;
        for (let i = 0; i < n; i++) r[i] -= d * Z[offset + i];
        w[j] = next;
      }
      dwMax = Math.max(dwMax, Math.abs(next - old));
      wMax = Math.max(wMax, Math.abs(next));
    }
    let rr = 0;
    for (let i = 0; i < n; i++) rr += r[i] * r[i];
    await options.onPass?.(pass, w, rr / n);
    if (wMax === 0 || dwMax / wMax < options.tol || pass === options.maxIter) {
      for (let j = 0; j < width; j++) XtA[j] = dot(Z, j * n, r, n) - beta * w[j];
      gap = dualityGap(w, r, y, XtA, norms, alpha, beta, rr);
      if (gap < tol) {
        converged = true;
        break;
      }
    }
  }
  // rounding can take a converged gap a hair below zero
  return { w, passes: pass, gap: Math.max(gap, 0) / yy, converged };
}

function dualityGap(w: Float64Array, r: Float64Array, y: Float64Array, XtA: Float64Array, norms: Float64Array, alpha: number, beta: number, rr: number): number {
  let ww = 0;
  let l1Norm = 0;
  for (const v of w) {
    ww += v * v;
    l1Norm += Math.abs(v);
  }
  let ry = 0;
  for (let i = 0; i < r.length; i++) ry += r[i] * y[i];
  if (alpha > 0) {
    let dual = 0;
    for (const v of XtA) dual = Math.max(dual, Math.abs(v));
    let scale = 1;
    let gap = rr;
    if (dual > alpha) {
      scale = alpha / dual;
      gap = 0.5 * (rr + rr * scale * scale);
    }
    return gap + alpha * l1Norm - scale * ry + 0.5 * beta * (1 + scale * scale) * ww;
  }
  if (beta > 0) {
    // ridge: P(w) − D(r) with D(θ) = θ·y − |θ|²/2 − |Zᵀθ|²/(2β), and Zᵀr = XtA + βw
    let ztr = 0;
    for (let j = 0; j < w.length; j++) ztr += (XtA[j] + beta * w[j]) ** 2;
    return rr + 0.5 * beta * ww - ry + ztr / (2 * beta);
  }
  let gain = 0;
  for (let j = 0; j < w.length; j++) if (norms[j] > 0) gain += (XtA[j] * XtA[j]) / norms[j];
  return gain;
}
