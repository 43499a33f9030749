import type { Random } from '../../../data/random';
import type { SvmLoss } from './params';

/**
 * liblinear's dual coordinate descent for an L2-regularised linear SVM (Hsieh et al., 2008;
 * solve_l2r_l1l2_svc), the solver of scikit-learn's LinearSVC. The dual of
 *   ½|w|² + C Σ ξᵢ  (hinge)   or   ½|w|² + C Σ ξᵢ²  (squared hinge)
 * is a box-constrained quadratic in one αᵢ per row; a pass visits the active rows in random order and
 * solves each one-variable problem exactly, keeping w = Σ αᵢ yᵢ xᵢ. Rows whose α sits at a bound with a
 * gradient pushing it further are shrunk out of the active set; the solver stops when the projected
 * gradient's spread over a pass is below tol on the whole set. The bias is the weight of an appended
 * constant feature 1, so it is penalised, as in liblinear.
 */
export class DualCoordinateDescent {
  /** [width + 1]: the coefficients, then the bias. */
  readonly w: Float64Array;
  passes = 0;
  done = false;
  private readonly alpha: Float64Array;
  private readonly index: Int32Array;
  private active: number;
  private pgMaxOld = Infinity;
  private pgMinOld = -Infinity;
  private readonly upper: number;
  private readonly diag: number;

  /**
   * Z row-major [n × width], standardised; sign[i] is +1 or −1; QD[i] = |zᵢ|² + 1, shared by every
   * one-vs-rest problem on the same rows.
   */
  constructor(
    private readonly Z: Float32Array,
    private readonly sign: Int8Array,
    private readonly QD: Float64Array,
    private readonly n: number,
    private readonly width: number,
    loss: SvmLoss,
    C: number,
    private readonly tol: number,
  ) {
    this.w = new Float64Array(width + 1);
    this.alpha = new Float64Array(n);
    this.index = Int32Array.from({ length: n }, (_, i) => i);
    this.active = n;
    this.upper = loss === 'hinge' ? C : Infinity;
    this.diag = loss === 'hinge' ? 0 : 1 / (2 * C);
  }

  /** One pass over the active rows; sets `done` when the stopping rule holds. */
  pass(random: Random): void {
    const { Z, sign, QD, alpha, index, w, width, upper, diag } = this;
    let pgMax = -Infinity;
    let pgMin = Infinity;
    for (let s = 0; s < this.active; s++) {
      const j = s + random.int(this.active - s);
      [index[s], index[j]] = [index[j], index[s]];
    }
    for (let s = 0; s < this.active; s++) {
      const i = index[s];
      const yi = sign[i];
      const row = i * width;
      let margin = w[width];
      for (let j = 0; j < width; j++) margin += w[j] * Z[row + j];
      const G = yi * margin - 1 + alpha[i] * diag;
      let PG = 0;
      if (alpha[i] === 0) {
        if (G > this.pgMaxOld) {
          this.shrink(s--);
          continue;
        }
        if (G < 0) PG = G;
      } else if (alpha[i] === upper) {
        if (G < this.pgMinOld) {
          this.shrink(s--);
          continue;
        }
        if (G > 0) PG = G;
      } else PG = G;
      if (PG > pgMax) pgMax = PG;
      if (PG < pgMin) pgMin = PG;
      if (Math.abs(PG) > 1e-12) {
        const old = alpha[i];
        alpha[i] = Math.min(Math.max(old - G / (QD[i] + diag), 0), upper);
        const d = (alpha[i] - old) * yi;
        for (let j = 0; j < width; j++) w[j] += d * Z[row + j];
        w[width] += d;
      }
    }
    this.passes++;
    if (pgMax - pgMin <= this.tol) {
      if (this.active === this.n) {
        this.done = true;
        return;
      }
      // converged on the shrunk set: check once more on every row
      this.active = this.n;
      this.pgMaxOld = Infinity;
      this.pgMinOld = -Infinity;
      return;
    }
    this.pgMaxOld = pgMax <= 0 ? Infinity : pgMax;
    this.pgMinOld = pgMin >= 0 ? -Infinity : pgMin;
  }

  private shrink(s: number): void {
    this.active--;
    [this.index[s], this.index[this.active]] = [this.index[this.active], this.index[s]];
  }
}
