/**
 * The two passes over column-major standardised rows that every smooth linear objective needs: the
 * margins of K blocks of [w…, b] (a block per class), and the gradient of a per-row loss given its
 * derivative with respect to each margin. Columns are streamed one at a time, which is what keeps a
 * pass over a million rows fast.
 */
export interface LossData {
  /** Column-major [width × n], standardised. */
  Z: Float32Array;
  /** 0/1, or the class index. */
  y: Float32Array;
  n: number;
  width: number;
  /** Blocks of [w…, b]: 1 for one logit or margin, one per class otherwise. */
  blocks: number;
}

export function margins(data: LossData, x: Float64Array, M: Float64Array): void {
  const { Z, n, width, blocks } = data;
  for (let k = 0; k < blocks; k++) {
    const block = k * (width + 1);
    const out = k * n;
    M.fill(x[block + width], out, out + n);
    for (let j = 0; j < width; j++) {
      const w = x[block + j];
      if (w === 0) continue;
      const col = j * n;
      for (let i = 0; i < n; i++) M[out + i] += w * Z[col + i];
    }
  }
}

/** gradient = Zᵀ·R / n per block, plus l2 · w (never on the intercepts). */
export function gradientOf(data: LossData, x: Float64Array, R: Float64Array, l2: number, gradient: Float64Array): void {
  const { Z, n, width, blocks } = data;
  for (let k = 0; k < blocks; k++) {
    const block = k * (width + 1);
    const residual = k * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += R[residual + i];
    gradient[block + width] = sum / n;
    for (let j = 0; j < width; j++) {
      const col = j * n;
      let s = 0;
      for (let i = 0; i < n; i++) s += Z[col + i] * R[residual + i];
      gradient[block + j] = s / n + l2 * x[block + j];
    }
  }
}

