import { seededRandom } from '../../../../../shared/data/random';
import { elasticNet } from '../../../../../shared/ml/models/linear/elastic_net';
import { solve } from '../../../../support/gaussian_solve';

/** Walsh functions: ±1 columns, mutually orthogonal, mean 0 and variance 1 over n = 2^k rows. */
function walsh(n: number, width: number): Float32Array {
  const Z = new Float32Array(width * n);
  for (let j = 0; j < width; j++) {
    for (let i = 0; i < n; i++) {
      let bits = i & (j + 1);
      let parity = 0;
      while (bits) {
        parity ^= bits & 1;
        bits >>= 1;
      }
      Z[j * n + i] = parity ? -1 : 1;
    }
  }
  return Z;
}

/** y = Z·beta + noise, centred. */
function target(Z: Float32Array, n: number, beta: number[], seed: number): Float64Array {
  const random = seededRandom(seed);
  const y = Float64Array.from({ length: n }, (_, i) => beta.reduce((s, b, j) => s + b * Z[j * n + i], 0) + 0.5 * random.normal());
  const mean = y.reduce((a, b) => a + b, 0) / n;
  return y.map((v) => v - mean);
}

const softThreshold = (v: number, t: number) => Math.sign(v) * Math.max(Math.abs(v) - t, 0);

describe('elastic-net coordinate descent', () => {
  const n = 256;
  const width = 6;
  const beta = [3, -2, 0.4, -0.1, 0, 1];

  it('is soft-thresholding on an orthogonal design: lasso zeroes the small coefficients, elastic net also shrinks', async () => {
    const Z = walsh(n, width);
    const y = target(Z, n, beta, 1);
    const correlation = Array.from({ length: width }, (_, j) => Z.subarray(j * n, (j + 1) * n).reduce((s, z, i) => s + z * y[i], 0) / n);
    for (const [l1, l2] of [
      [0.3, 0],
      [0.2, 0.5],
    ]) {
      const result = await elasticNet(Z, y, n, width, { l1, l2, maxIter: 100, tol: 1e-10 });
      expect(result.converged).toBe(true);
      // with orthogonal columns of unit variance each coefficient is its own one-dimensional problem
      const expected = correlation.map((c) => softThreshold(c, l1) / (1 + l2));
      for (let j = 0; j < width; j++) expect(result.w[j]).toBeCloseTo(expected[j], 10);
      expect(Array.from(result.w).filter((w) => w === 0).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('solves ridge to its closed form (ZᵀZ + n·l2·I)⁻¹ Zᵀy on correlated columns', async () => {
    const random = seededRandom(5);
    const m = 500;
    const Z = new Float32Array(width * m);
    for (let i = 0; i < m; i++) {
      const shared = random.normal();
      for (let j = 0; j < width; j++) Z[j * m + i] = 0.7 * shared + random.normal();
    }
    // centred columns, as the standardised ones are
    for (let j = 0; j < width; j++) {
      const col = Z.subarray(j * m, (j + 1) * m);
      const mean = col.reduce((a, b) => a + b, 0) / m;
      for (let i = 0; i < m; i++) col[i] = Math.fround(col[i] - mean);
    }
    const y = target(Z, m, beta, 2);
    const l2 = 0.05;
    const gram = Array.from({ length: width }, (_, a) =>
      Array.from({ length: width }, (_, b) => Z.subarray(a * m, (a + 1) * m).reduce((s, z, i) => s + z * Z[b * m + i], 0) + (a === b ? m * l2 : 0)),
    );
    const zty = Array.from({ length: width }, (_, j) => Z.subarray(j * m, (j + 1) * m).reduce((s, z, i) => s + z * y[i], 0));
    const expected = solve(gram, zty);
    const result = await elasticNet(Z, y, m, width, { l1: 0, l2, maxIter: 1000, tol: 1e-12 });
    expect(result.converged).toBe(true);
    expect(result.gap).toBeLessThan(1e-12);
    for (let j = 0; j < width; j++) expect(result.w[j]).toBeCloseTo(expected[j], 8);
    // the stopping rule binds: a loose tolerance stops earlier, further from the solution
    const loose = await elasticNet(Z, y, m, width, { l1: 0, l2, maxIter: 1000, tol: 1e-2 });
    expect(loose.passes).toBeLessThan(result.passes);
  });

  it('reaches least squares without a penalty, and stops at max_iter when told to, saying so', async () => {
    const Z = walsh(n, width);
    const y = target(Z, n, beta, 3);
    const ols = await elasticNet(Z, y, n, width, { l1: 0, l2: 0, maxIter: 50, tol: 1e-12 });
    expect(ols.converged).toBe(true);
    for (let j = 0; j < width; j++) expect(ols.w[j]).toBeCloseTo(Z.subarray(j * n, (j + 1) * n).reduce((s, z, i) => s + z * y[i], 0) / n, 10);
    const random = seededRandom(9);
    const correlated = Float32Array.from({ length: width * n }, (_, at) => Z[at] + 0.9 * Z[(at + n) % (width * n)] + 0.01 * random.normal());
    const capped = await elasticNet(correlated, y, n, width, { l1: 0.01, l2: 0, maxIter: 2, tol: 1e-12 });
    expect(capped.passes).toBe(2);
    expect(capped.converged).toBe(false);
  });
});
