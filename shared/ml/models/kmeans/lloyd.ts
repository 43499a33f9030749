import type { Random } from '../../../data/random';

/**
 * k-means on standardised rows [n × width], in float64: greedy k-means++ seeding (scikit-learn's, with
 * 2 + ⌊ln k⌋ candidates per centre, keeping the one that lowers the potential most), then Lloyd
 * iterations until the centroids' total squared move falls under `tolerance`. A cluster left empty
 * takes the row farthest from its centroid, so that k clusters always come out.
 */
export interface Clustering {
  /** [k × width]. */
  centroids: Float64Array;
  /** Sum of squared distances of the rows to their centroid. */
  inertia: number;
  iterations: number;
}

function squared(X: Float32Array, row: number, C: Float64Array, c: number, width: number): number {
  let sum = 0;
  for (let j = 0, x = row * width, at = c * width; j < width; j++) {
    const d = X[x + j] - C[at + j];
    sum += d * d;
  }
  return sum;
}

/** Index of the first value ≥ target in the running sums. */
function pick(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function kmeansPlusPlus(X: Float32Array, n: number, width: number, k: number, random: Random): Float64Array {
  const C = new Float64Array(k * width);
  const trials = 2 + Math.floor(Math.log(k));
  const first = random.int(n);
  for (let j = 0; j < width; j++) C[j] = X[first * width + j];
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = squared(X, i, C, 0, width);
  const cumulative = new Float64Array(n);
  const trial = new Float64Array(n);
  const best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) cumulative[i] = total += closest[i];
    let bestRow = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      // every row already a centre (duplicates): any row will do
      const row = total > 0 ? pick(cumulative, random.next() * total) : random.int(n);
      for (let j = 0; j < width; j++) C[c * width + j] = X[row * width + j];
      let potential = 0;
      for (let i = 0; i < n; i++) potential += trial[i] = Math.min(closest[i], squared(X, i, C, c, width));
      if (potential < bestPotential) {
        bestPotential = potential;
        bestRow = row;
        best.set(trial);
      }
    }
    for (let j = 0; j < width; j++) C[c * width + j] = X[bestRow * width + j];
    closest.set(best);
  }
  return C;
}

/** Each row's nearest centroid (the first on a tie), and its squared distance. */
export function assign(X: Float32Array, n: number, width: number, C: Float64Array, k: number, labels: Int32Array, distances: Float64Array): number {
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let label = 0;
    let nearest = squared(X, i, C, 0, width);
    for (let c = 1; c < k; c++) {
      const d = squared(X, i, C, c, width);
      if (d < nearest) {
        nearest = d;
        label = c;
      }
    }
    labels[i] = label;
    distances[i] = nearest;
    inertia += nearest;
  }
  return inertia;
}

export function lloyd(X: Float32Array, n: number, width: number, start: Float64Array, k: number, maxIterations: number, tolerance: number): Clustering {
  const C = Float64Array.from(start);
  const labels = new Int32Array(n);
  const distances = new Float64Array(n);
  const sums = new Float64Array(k * width);
  const counts = new Float64Array(k);
  let iterations = 0;
  for (; iterations < maxIterations; ) {
    assign(X, n, width, C, k, labels, distances);
    iterations++;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      for (let j = 0; j < width; j++) sums[labels[i] * width + j] += X[i * width + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) continue;
      // an empty cluster restarts at the row worst served, which then leaves its old cluster
      let far = 0;
      for (let i = 1; i < n; i++) if (distances[i] > distances[far]) far = i;
      counts[labels[far]]--;
      for (let j = 0; j < width; j++) {
        sums[labels[far] * width + j] -= X[far * width + j];
        sums[c * width + j] = X[far * width + j];
      }
      counts[c] = 1;
      labels[far] = c;
      distances[far] = 0;
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < width; j++) {
        const value = counts[c] > 0 ? sums[c * width + j] / counts[c] : C[c * width + j];
        shift += (value - C[c * width + j]) ** 2;
        C[c * width + j] = value;
      }
    }
    if (shift <= tolerance) break;
  }
  const inertia = assign(X, n, width, C, k, labels, distances);
  return { centroids: C, inertia, iterations };
}
