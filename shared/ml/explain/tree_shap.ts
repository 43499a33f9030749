import { rawScores } from './flat_trees';
import type { TreeEnsemble } from './tree_ensemble';

/**
 * Path-dependent TreeSHAP (Lundberg, Erion and Lee 2018; what shap's TreeExplainer and LightGBM's
 * pred_contrib compute): the exact Shapley values of E[f(x) | x_S], the expectation over the training
 * rows as the tree's covers record them. Run leaf by leaf on the precomputed paths instead of recursing.
 *
 * For one leaf of value v whose path tests d distinct features, feature k with the share z_k of training
 * rows passing its tests and o_k ∈ {0, 1} whether the row passes them, feature i's term is
 * v (o_i − z_i) Σ_j q_j j!(d−1−j)!/d!, q the coefficients of Π_{k≠i} (z_k + o_k x). Kept as plain
 * coefficients, that polynomial is Z0 · P(x): Z0 the product of z over the features the row fails and
 * P = Π (z_k + x) over the m it passes. So every failed feature gets the same term −v Z0 Σ_j p_j W_j,
 * and a passed one v Z0 (1 − z_i) Σ_j q_j W_j with q = P / (z_i + x) by synthetic division from the top
 * (stable: z ≤ 1 and P's roots are negative). A leaf costs O(m²) instead of shap's O(d²) extend and
 * unwind with their combinatorial scaling, and in trees of at most 32 nodes whether the row passes a
 * feature's tests is one mask comparison. On the demo model, measured in one process (load 12 on 2
 * cores): 0.68 ms of CPU a row, where shap's extend and unwind on these paths took 1.5, and without the
 * masks 0.87 (a third of the time went to testing the path one node at a time). Integrating
 * Π_{k≠i} (z_k (1−t) + o_k t) over [0, 1] by Gauss–Legendre (Linear TreeSHAP) is as exact, but its
 * divisions made it 1.2 ms.
 */
export class TreeShap {
  private readonly goLeft: Uint8Array;
  /** P's coefficients, and the passed features' z and feature index: scratch, one leaf at a time. */
  private readonly poly: Float64Array;
  private readonly passedZ: Float64Array;
  private readonly passedFeature: Int32Array;
  private readonly failedFeature: Int32Array;
  /** W[d·(d−1)/2 + j] = j!(d−1−j)!/d!, the Shapley weight of a subset of j of the other d−1 features. */
  private readonly shapleyWeight: Float64Array;

  constructor(readonly ensemble: TreeEnsemble) {
    this.goLeft = new Uint8Array(ensemble.feature.length);
    const depth = ensemble.maxDepth + 2;
    this.poly = new Float64Array(depth + 1);
    this.passedZ = new Float64Array(depth);
    this.passedFeature = new Int32Array(depth);
    this.failedFeature = new Int32Array(depth);
    this.shapleyWeight = new Float64Array(((depth + 1) * depth) / 2);
    for (let d = 1; d <= depth; d++) {
      const w = this.shapleyWeight;
      const at = (d * (d - 1)) / 2;
      w[at] = 1 / d;
      for (let j = 0; j + 1 < d; j++) w[at + j + 1] = (w[at + j] * (j + 1)) / (d - 1 - j);
    }
  }

  /** Every output's raw score for the row X[at ...]: the base plus its trees' leaves, summed in double. */
  raw(X: ArrayLike<number>, at: number, out: Float64Array): Float64Array {
    return rawScores(this.ensemble, X, at, out);
  }

  /** The base value of an output: what it averages to over the training rows. */
  baseValue(output: number): number {
    const e = this.ensemble;
    let sum = e.base[output];
    for (let t = 0; t < e.trees; t++) if (e.treeOutput[t] === output) sum += e.expected[t];
    return sum;
  }

  /** Adds each encoded column's contribution to `output` for the row X[at ...] into phi [width]. */
  explain(X: ArrayLike<number>, at: number, output: number, phi: Float64Array): void {
    const e = this.ensemble;
    const { goLeft, poly: p, passedZ, passedFeature, failedFeature, shapleyWeight } = this;
    const { feature, threshold, defaultLeft, uniqueStart, uniqueFeature, uniqueZero, condStart, condNode, condLeft, value, masked, uniqueMask, uniqueLeftMask } = e;
    for (let t = 0; t < e.trees; t++) {
      if (e.treeOutput[t] !== output) continue;
      const n0 = e.nodeStart[t];
      const n1 = e.nodeStart[t + 1];
      if (n1 === n0) continue;
      // the row's way at each node; with at most 32 nodes, also as bits, for one test per feature below
      let bits = 0;
      for (let k = n0; k < n1; k++) {
        const x = X[at + feature[k]];
        const left = x <= threshold[k] || (x !== x && defaultLeft[k] === 1) ? 1 : 0;
        goLeft[k] = left;
        bits |= left << (k - n0);
      }
      const l1 = e.leafStart[t + 1];
      for (let l = e.leafStart[t]; l < l1; l++) {
        const u0 = uniqueStart[l];
        const u1 = uniqueStart[l + 1];
        const d = u1 - u0;
        // which distinct features of the leaf's path the row passes (all of that feature's tests)
        let m = 0;
        let failed = 0;
        let z0 = 1;
        for (let u = u0; u < u1; u++) {
          let passes = true;
          if (masked) passes = ((bits ^ uniqueLeftMask[u]) & uniqueMask[u]) === 0;
          else {
            for (let c = condStart[u]; c < condStart[u + 1]; c++) {
              if (goLeft[condNode[c]] !== condLeft[c]) {
                passes = false;
                break;
              }
            }
          }
          if (passes) {
            passedZ[m] = uniqueZero[u];
            passedFeature[m++] = uniqueFeature[u];
          } else {
            z0 *= uniqueZero[u];
            failedFeature[failed++] = uniqueFeature[u];
          }
        }
        // P = Π (z_k + x) over the passed features
        p[0] = 1;
        for (let k = 0; k < m; k++) {
          const z = passedZ[k];
          p[k + 1] = p[k];
          for (let j = k; j >= 1; j--) p[j] = p[j] * z + p[j - 1];
          p[0] *= z;
        }
        const W = (d * (d - 1)) / 2;
        const v = value[l] * z0;
        if (failed > 0) {
          let s = 0;
          for (let j = 0; j <= m; j++) s += p[j] * shapleyWeight[W + j];
          const term = -v * s;
          for (let k = 0; k < failed; k++) phi[failedFeature[k]] += term;
        }
        for (let k = 0; k < m; k++) {
          const z = passedZ[k];
          let q = p[m];
          let s = q * shapleyWeight[W + m - 1];
          for (let j = m - 1; j >= 1; j--) {
            q = p[j] - z * q;
            s += q * shapleyWeight[W + j - 1];
          }
          phi[passedFeature[k]] += v * (1 - z) * s;
        }
      }
    }
  }
}
