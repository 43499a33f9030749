import type { TreeEnsemble } from './tree_ensemble';

/**
 * Path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, Algorithm 2; what shap's TreeExplainer and
 * LightGBM's pred_contrib compute): the exact Shapley values of E[f(x) | x_S], the expectation over
 * the training rows as the tree's covers record them. Run leaf by leaf on the precomputed paths
 * instead of recursing: a leaf's term only needs, for each distinct feature on its path, the share of
 * training rows passing that feature's tests (fixed) and whether the row passes them (0 or 1).
 *
 * That second part is one bit per feature, so for a path of d ≤ TABLE_DEPTH distinct features the d
 * terms of each of the 2^d patterns are computed once, when the model loads (as Fast TreeSHAP v2 does,
 * Yang 2021): explaining a row then costs O(d) per leaf instead of O(d²). Longer paths, or tables past
 * the budget, are computed per row.
 */
export const TABLE_DEPTH = 10;
/** Doubles the pattern tables of one model may take (64 MB). */
export const TABLE_BUDGET = 8 * 1024 * 1024;

export class TreeShap {
  private readonly goLeft: Uint8Array;
  private readonly terms: Float64Array;
  private readonly one: Float64Array;
  private readonly weight: Float64Array;
  /** 1/k, for the divisions the inner loops would otherwise make. */
  private readonly inverse: Float64Array;
  /** Per leaf, where its table starts in `table` (d terms per pattern), or −1 when it has none. */
  private readonly tableStart: Int32Array;
  private readonly table: Float64Array;

  /** `budget`: doubles the pattern tables may take; 0 computes every leaf per row. */
  constructor(readonly ensemble: TreeEnsemble, budget = TABLE_BUDGET) {
    this.goLeft = new Uint8Array(ensemble.feature.length);
    const depth = ensemble.maxDepth + 2;
    this.terms = new Float64Array(depth);
    this.one = new Float64Array(depth);
    this.weight = new Float64Array(depth);
    this.inverse = Float64Array.from({ length: depth + 1 }, (_, k) => (k === 0 ? 0 : 1 / k));
    const { uniqueStart } = ensemble;
    const leaves = ensemble.value.length;
    this.tableStart = new Int32Array(leaves).fill(-1);
    let size = 0;
    for (let l = 0; l < leaves; l++) {
      const d = uniqueStart[l + 1] - uniqueStart[l];
      if (d > TABLE_DEPTH || size + (d << d) > budget) continue;
      this.tableStart[l] = size;
      size += d << d;
    }
    this.table = new Float64Array(size);
    for (let l = 0; l < leaves; l++) {
      const start = this.tableStart[l];
      if (start < 0) continue;
      const d = uniqueStart[l + 1] - uniqueStart[l];
      for (let pattern = 0; pattern < 1 << d; pattern++) {
        for (let i = 0; i < d; i++) this.one[i + 1] = (pattern >> i) & 1;
        this.leafTerms(l, d, this.table, start + pattern * d);
      }
    }
  }

  /** Every output's raw score for the row X[at ...]: the base plus its trees' leaves, summed in double. */
  raw(X: ArrayLike<number>, at: number, out: Float64Array): Float64Array {
    const e = this.ensemble;
    out.set(e.base);
    for (let t = 0; t < e.trees; t++) out[e.treeOutput[t]] += e.value[e.leafStart[t] + this.leafOf(t, X, at)];
    return out;
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
    const { goLeft, one, table, tableStart } = this;
    const { feature, threshold, defaultLeft, uniqueStart, uniqueFeature, condStart, condNode, condLeft } = e;
    const terms = this.terms;
    for (let t = 0; t < e.trees; t++) {
      if (e.treeOutput[t] !== output) continue;
      const n0 = e.nodeStart[t];
      const n1 = e.nodeStart[t + 1];
      if (n1 === n0) continue;
      for (let k = n0; k < n1; k++) {
        const x = X[at + feature[k]];
        goLeft[k] = x <= threshold[k] || (x !== x && defaultLeft[k] === 1) ? 1 : 0;
      }
      const l1 = e.leafStart[t + 1];
      for (let l = e.leafStart[t]; l < l1; l++) {
        const u0 = uniqueStart[l];
        const d = uniqueStart[l + 1] - u0;
        // whether the row passes each distinct feature's tests on the leaf's path
        let pattern = 0;
        for (let i = 0; i < d; i++) {
          const u = u0 + i;
          let o = 1;
          for (let c = condStart[u]; c < condStart[u + 1]; c++) {
            if (goLeft[condNode[c]] !== condLeft[c]) {
              o = 0;
              break;
            }
          }
          pattern |= o << i;
          one[i + 1] = o;
        }
        const start = tableStart[l];
        if (start >= 0) {
          const from = start + pattern * d;
          for (let i = 0; i < d; i++) phi[uniqueFeature[u0 + i]] += table[from + i];
        } else {
          this.leafTerms(l, d, terms, 0);
          for (let i = 0; i < d; i++) phi[uniqueFeature[u0 + i]] += terms[i];
        }
      }
    }
  }

  /**
   * The d terms of leaf l for the one-fractions in one[1..d]: extend the path polynomial one distinct
   * feature at a time from the empty path, then unwind each feature from it. Written to out[from ...].
   */
  private leafTerms(l: number, d: number, out: Float64Array, from: number): void {
    const { one, weight, inverse } = this;
    const zero = this.ensemble.uniqueZero;
    const u0 = this.ensemble.uniqueStart[l];
    weight[0] = 1;
    for (let i = 1; i <= d; i++) {
      const z = zero[u0 + i - 1];
      weight[i] = 0;
      const scale = inverse[i + 1];
      if (one[i] === 1) {
        for (let j = i - 1; j >= 0; j--) {
          const w = weight[j] * scale;
          weight[j + 1] += w * (j + 1);
          weight[j] = z * w * (i - j);
        }
      } else {
        for (let j = i - 1; j >= 0; j--) weight[j] = z * weight[j] * (i - j) * scale;
      }
    }
    const v = this.ensemble.value[l];
    for (let i = 1; i <= d; i++) {
      const o = one[i];
      const z = zero[u0 + i - 1];
      let total = 0;
      if (o !== 0) {
        let next = weight[d];
        const shrink = z * inverse[d + 1];
        for (let j = d - 1; j >= 0; j--) {
          const tmp = next * (d + 1) * inverse[j + 1];
          total += tmp;
          next = weight[j] - tmp * shrink * (d - j);
        }
      } else {
        for (let j = d - 1; j >= 0; j--) total += weight[j] * inverse[d - j];
        total *= (d + 1) / z;
      }
      out[from + i - 1] = total * (o - z) * v;
    }
  }

  private leafOf(t: number, X: ArrayLike<number>, at: number): number {
    const e = this.ensemble;
    const n0 = e.nodeStart[t];
    if (e.nodeStart[t + 1] === n0) return 0;
    let node = 0;
    do {
      const k = n0 + node;
      const x = X[at + e.feature[k]];
      node = x <= e.threshold[k] || (x !== x && e.defaultLeft[k] === 1) ? e.left[k] : e.right[k];
    } while (node >= 0);
    return ~node;
  }
}
