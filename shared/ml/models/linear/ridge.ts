/**
 * Ridge in closed form: (ZᵀZ + n·l2·I) w = Zᵀy by Cholesky, on standardised (centred) columns and a
 * centred target — scikit-learn's Ridge solver ("cholesky"). Coordinate descent converges at a rate set
 * by the columns' correlation, and one-hot groups are collinear up to the tiny default penalty: on ames
 * (306 encoded columns, 2 051 rows, seed 4) 1 000 passes stopped at test R² 0.59 where the solution, and
 * scikit-learn's Ridge, give 0.71. The
 * direct solve costs n·width²/2 multiply-adds for the Gram matrix, so it is used up to DIRECT_MAX_WORK.
 */
export const DIRECT_MAX_WORK = 4e9;

/** Whether the closed form is affordable on n rows of `width` columns. */
export function ridgeDirectFits(n: number, width: number): boolean {
  return (n * width * width) / 2 <= DIRECT_MAX_WORK && width <= 4096;
}

/**
 * Z column-major [width × n], y centred, l2 > 0 (the system is then positive definite). Null when the
 * factorisation meets a pivot that is not positive (rounding on a degenerate system), for the caller to
 * fall back to coordinate descent.
 */
export function ridgeDirect(Z: Float32Array, y: Float64Array, n: number, width: number, l2: number): Float64Array | null {
  const A = new Float64Array(width * width);
  const b = new Float64Array(width);
  const column = new Float64Array(n);
  for (let j = 0; j < width; j++) {
    const offset = j * n;
    for (let i = 0; i < n; i++) column[i] = Z[offset + i];
    let s = 0;
    for (let i = 0; i < n; i++) s += column[i] * y[i];
    b[j] = s;
    for (let k = 0; k <= j; k++) {
      const other = k * n;
      let g = 0;
      for (let i = 0; i < n; i++) g += column[i] * Z[other + i];
      A[j * width + k] = g;
    }
    A[j * width + j] += n * l2;
  }
  // in place, lower triangle: A = L·Lᵀ
  for (let j = 0; j < width; j++) {
    for (let k = 0; k < j; k++) {
      let s = A[j * width + k];
      for (let m = 0; m < k; m++) s -= A[j * width + m] * A[k * width + m];
      A[j * width + k] = s / A[k * width + k];
    }
    let d = A[j * width + j];
    for (let m = 0; m < j; m++) d -= A[j * width + m] ** 2;
    if (!(d > 0)) return null;
    A[j * width + j] = Math.sqrt(d);
  }
  const w = b;
  for (let j = 0; j < width; j++) {
    let s = w[j];
    for (let m = 0; m < j; m++) s -= A[j * width + m] * w[m];
    w[j] = s / A[j * width + j];
  }
  for (let j = width - 1; j >= 0; j--) {
    let s = w[j];
    for (let m = j + 1; m < width; m++) s -= A[m * width + j] * w[m];
    w[j] = s / A[j * width + j];
  }
  return w;
}
