/**
 * The gradient tolerance of the classification solvers, liblinear's primal rule: tol times the rarest
 * class's share of the rows (at least one row), relative to the gradient at the start. With 0.5 %
 * positives the starting gradient is mostly the base rate, which the intercept learns in a few steps;
 * a tolerance relative to it alone would stop before the features had been weighed (measured: a
 * squared-hinge SVM stopped at tol 1e-4 ranked the fraud test split 0.007 AUC below its optimum).
 */
export function classBalancedTolerance(tol: number, y: ArrayLike<number>, n: number, classes: number): number {
  const counts = new Float64Array(Math.max(classes, 2));
  for (let i = 0; i < n; i++) counts[y[i]]++;
  const rarest = Math.min(...counts);
  return (tol * Math.max(rarest, 1)) / Math.max(n, 1);
}
