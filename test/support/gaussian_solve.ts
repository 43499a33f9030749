/**
 * Solves A x = b (A symmetric positive definite, small) by Gaussian elimination: the textbook answer the
 * linear family's solvers are checked against, written independently of them.
 */
export function solve(A: number[][], b: number[]): number[] {
  const m = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < m; c++) {
    for (let r = c + 1; r < m; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) x[r] = (M[r][m] - M[r].slice(r + 1, m).reduce((s, v, k) => s + v * x[r + 1 + k], 0)) / M[r][r];
  return x;
}
