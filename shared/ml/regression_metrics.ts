/** Regression metrics; NaN when undefined (no rows; R² of a constant target). */
export type RegressionMetrics = { rmse: number; mae: number; r2: number; rows: number };

export function evaluateRegression(y: ArrayLike<number>, predicted: ArrayLike<number>): RegressionMetrics {
  if (y.length !== predicted.length) throw new RangeError(`${y.length} targets but ${predicted.length} predictions`);
  const n = y.length;
  if (n === 0) return { rmse: NaN, mae: NaN, r2: NaN, rows: 0 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i] - predicted[i];
    squared += e * e;
    absolute += Math.abs(e);
    total += (y[i] - mean) ** 2;
  }
  return { rmse: Math.sqrt(squared / n), mae: absolute / n, r2: total > 0 ? 1 - squared / total : NaN, rows: n };
}
