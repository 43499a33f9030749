/**
 * The solvers work on standardised columns — (x − mean) / std, scikit-learn's StandardScaler — so that
 * one penalty weighs every feature alike and the problem is well conditioned; the model served folds the
 * scaling back into its coefficients and reads the raw encoded columns, as every other family does.
 */
export interface Scaling {
  mean: Float64Array;
  /** The population standard deviation; 1 for a constant column, which standardises to zeros. */
  scale: Float64Array;
}

/** Of the training rows, row-major [n × width], in double. */
export function fitScaling(X: Float32Array, n: number, width: number): Scaling {
  const mean = new Float64Array(width);
  const m2 = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) mean[j] += X[row + j];
  }
  for (let j = 0; j < width; j++) mean[j] /= Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) {
      const d = X[row + j] - mean[j];
      m2[j] += d * d;
    }
  }
  const scale = m2.map((s) => {
    const std = Math.sqrt(s / Math.max(n, 1));
    // a column constant up to float noise carries no signal to scale up
    return std > 1e-12 ? std : 1;
  });
  return { mean, scale };
}

/** Column-major [width × n]: what coordinate descent and the gradient passes stream through. */
export function standardisedColumns(X: Float32Array, n: number, width: number, s: Scaling): Float32Array {
  const Z = new Float32Array(width * n);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) Z[j * n + i] = (X[row + j] - s.mean[j]) / s.scale[j];
  }
  return Z;
}

/** Row-major [n × width]: what a row-at-a-time solver reads. */
export function standardisedRows(X: Float32Array, n: number, width: number, s: Scaling): Float32Array {
  const Z = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) Z[row + j] = (X[row + j] - s.mean[j]) / s.scale[j];
  }
  return Z;
}

/**
 * Coefficients on the standardised scale, [width × K] row-major with a bias per output, as the same
 * function of the raw columns: w / std, and the bias less Σ w · mean / std.
 */
export function foldScaling(weights: Float64Array, bias: Float64Array, s: Scaling): { weights: Float64Array; bias: Float64Array } {
  const K = bias.length;
  const width = s.mean.length;
  const folded = new Float64Array(width * K);
  const b = Float64Array.from(bias);
  for (let j = 0; j < width; j++) {
    for (let k = 0; k < K; k++) {
      const w = weights[j * K + k] / s.scale[j];
      folded[j * K + k] = w;
      b[k] -= w * s.mean[j];
    }
  }
  return { weights: folded, bias: b };
}
