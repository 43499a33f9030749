/**
 * Platt scaling as Lin, Lin and Weng (2007) fit it (libsvm's sigmoid_train): P(y = 1 | f) =
 * 1 / (1 + exp(−(a·f + b))), by Newton's method with a backtracking line search on the log-loss of
 * targets pulled off 0 and 1 — (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) — so that separable scores do not send
 * a to infinity.
 */
export interface Platt {
  a: number;
  b: number;
}

export function fitPlatt(scores: ArrayLike<number>, positive: ArrayLike<boolean>, n: number): Platt {
  let prior1 = 0;
  for (let i = 0; i < n; i++) if (positive[i]) prior1++;
  const prior0 = n - prior1;
  const hi = (prior1 + 1) / (prior1 + 2);
  const lo = 1 / (prior0 + 2);
  const t = Float64Array.from({ length: n }, (_, i) => (positive[i] ? hi : lo));
  // libsvm's sign convention: P = 1 / (1 + exp(A f + B))
  let A = 0;
  let B = Math.log((prior0 + 1) / (prior1 + 1));
  const objective = (a: number, b: number) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = scores[i] * a + b;
      f += z >= 0 ? t[i] * z + Math.log1p(Math.exp(-z)) : (t[i] - 1) * z + Math.log1p(Math.exp(z));
    }
    return f;
  };
  let value = objective(A, B);
  for (let iteration = 0; iteration < 100; iteration++) {
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      const f = scores[i];
      const z = f * A + B;
      const e = Math.exp(-Math.abs(z));
      const p = z >= 0 ? e / (1 + e) : 1 / (1 + e);
      const q = 1 - p;
      const d2 = p * q;
      h11 += f * f * d2;
      h22 += d2;
      h21 += f * d2;
      const d1 = t[i] - p;
      g1 += f * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= 1e-10) {
      const next = objective(A + step * dA, B + step * dB);
      if (next < value + 1e-4 * step * gd) {
        A += step * dA;
        B += step * dB;
        value = next;
        break;
      }
      step /= 2;
    }
    if (step < 1e-10) break;
  }
  return { a: -A, b: -B };
}
