/**
 * The mean silhouette of rows [n × width] under their cluster labels (Rousseeuw, 1987), Euclidean, as
 * scikit-learn's silhouette_score: per row, a = mean distance to the rest of its cluster, b = the
 * smallest mean distance to another cluster, s = (b − a) / max(a, b); 0 for a row alone in its cluster.
 * In [−1, 1], higher is better separated; NaN with fewer than 2 clusters. Quadratic in n: callers pass a sample.
 */
export function silhouette(X: Float32Array, n: number, width: number, labels: Int32Array, k: number): number {
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]]++;
  if (sizes.filter((s) => s > 0).length < 2) return NaN;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let m = 0; m < n; m++) {
      if (m === i) continue;
      let d = 0;
      for (let j = 0; j < width; j++) d += (X[i * width + j] - X[m * width + j]) ** 2;
      sums[labels[m]] += Math.sqrt(d);
    }
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    const spread = Math.max(a, b);
    total += spread > 0 ? (b - a) / spread : 0;
  }
  return total / n;
}
