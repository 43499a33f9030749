/**
 * Minimises f(x) + Σ l1ᵢ |xᵢ| for a smooth convex f: L-BFGS when no coordinate carries an L1 weight, and
 * OWL-QN (Andrew and Gao, 2007) when some do — the quasi-Newton direction taken on the pseudo-gradient,
 * kept within the orthant the current point (or the steepest descent) lies in, and every line-search
 * point projected back onto it, so that coefficients reach exactly zero. Stops when the largest
 * pseudo-gradient entry has fallen below tol times its value at the start, when a pass no longer lowers
 * the objective in its 12th significant digit, or after maxIter iterations.
 */
export type Smooth = (x: Float64Array, gradient: Float64Array) => number;

export interface OwlqnOptions {
  /** Per coordinate; 0 where the coordinate is not penalised (an intercept). */
  l1: Float64Array;
  maxIter: number;
  tol: number;
  /** Pairs of the inverse-Hessian approximation. */
  memory?: number;
  onIteration?: (iteration: number, x: Float64Array, objective: number) => void | Promise<void>;
}

export interface OwlqnResult {
  x: Float64Array;
  objective: number;
  iterations: number;
  converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 40;
const FTOL = 1e-12;

function pseudoGradient(x: Float64Array, g: Float64Array, l1: Float64Array, out: Float64Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const c = l1[i];
    let v = g[i];
    if (c > 0) {
      if (x[i] > 0) v = g[i] + c;
      else if (x[i] < 0) v = g[i] - c;
      else if (g[i] + c < 0) v = g[i] + c;
      else if (g[i] - c > 0) v = g[i] - c;
      else v = 0;
    }
    out[i] = v;
    max = Math.max(max, Math.abs(v));
  }
  return max;
}

function penalty(x: Float64Array, l1: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += l1[i] * Math.abs(x[i]);
  return s;
}

const dotOf = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

export async function owlqn(f: Smooth, start: Float64Array, options: OwlqnOptions): Promise<OwlqnResult> {
  const m = options.memory ?? 10;
  const { l1 } = options;
  const d = start.length;
  let x = Float64Array.from(start);
  let g = new Float64Array(d);
  let F = f(x, g) + penalty(x, l1);
  const pg = new Float64Array(d);
  const first = pseudoGradient(x, g, l1, pg);
  if (first === 0) return { x, objective: F, iterations: 0, converged: true };
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alphas = new Float64Array(m);
  const dir = new Float64Array(d);
  const orthant = new Float64Array(d);
  let xNext = new Float64Array(d);
  let gNext = new Float64Array(d);
  let iteration = 0;
  let converged = false;
  while (iteration < options.maxIter) {
    iteration++;
    // two-loop recursion: dir = −H · pg
    for (let i = 0; i < d; i++) dir[i] = -pg[i];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = rho[k] * dotOf(S[k], dir);
      alphas[k] = a;
      for (let i = 0; i < d; i++) dir[i] -= a * Y[k][i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dotOf(S[last], Y[last]) / dotOf(Y[last], Y[last]);
      for (let i = 0; i < d; i++) dir[i] *= gamma;
    } else {
      // the first step: a unit step along the steepest descent, or shorter when it is steep
      const scale = 1 / Math.max(1, Math.sqrt(dotOf(pg, pg)));
      for (let i = 0; i < d; i++) dir[i] *= scale;
    }
    for (let k = 0; k < S.length; k++) {
      const b = rho[k] * dotOf(Y[k], dir);
      for (let i = 0; i < d; i++) dir[i] += (alphas[k] - b) * S[k][i];
    }
    for (let i = 0; i < d; i++) {
      if (l1[i] > 0 && dir[i] * pg[i] >= 0) dir[i] = 0;
      orthant[i] = x[i] !== 0 ? Math.sign(x[i]) : -Math.sign(pg[i]);
    }
    if (dotOf(dir, pg) >= 0) {
      // the curvature pairs point uphill: forget them and go down the pseudo-gradient
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) dir[i] = -pg[i] / Math.max(1, Math.sqrt(dotOf(pg, pg)));
    }
    let step = 1;
    let accepted = false;
    let FNext = F;
    for (let halving = 0; halving < MAX_HALVINGS; halving++, step /= 2) {
      for (let i = 0; i < d; i++) {
        let v = x[i] + step * dir[i];
        if (l1[i] > 0 && Math.sign(v) !== orthant[i]) v = 0;
        xNext[i] = v;
      }
      FNext = f(xNext, gNext) + penalty(xNext, l1);
      let decrease = 0;
      for (let i = 0; i < d; i++) decrease += pg[i] * (xNext[i] - x[i]);
      if (FNext <= F + ARMIJO * decrease) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // no step lowers the objective: it is as low as double precision can tell
      converged = true;
      break;
    }
    const s = new Float64Array(d);
    const y = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      s[i] = xNext[i] - x[i];
      y[i] = gNext[i] - g[i];
    }
    const sy = dotOf(s, y);
    if (sy > 1e-16 * dotOf(y, y)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    [x, xNext] = [xNext, x];
    [g, gNext] = [gNext, g];
    const FPrevious = F;
    F = FNext;
    const largest = pseudoGradient(x, g, l1, pg);
    await options.onIteration?.(iteration, x, F);
    if (largest <= options.tol * first || FPrevious - F <= FTOL * Math.max(Math.abs(F), 1)) {
      converged = true;
      break;
    }
  }
  return { x, objective: F, iterations: iteration, converged };
}
