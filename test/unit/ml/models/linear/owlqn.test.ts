import { seededRandom } from '../../../../../shared/data/random';
import { logisticObjective } from '../../../../../shared/ml/models/linear/logistic_loss';
import { owlqn } from '../../../../../shared/ml/models/linear/owlqn';

/** Column-major standardised-looking columns, the last one pure noise, and labels from the others. */
function problem(n: number, width: number, classes: number, seed: number, separable = false) {
  const random = seededRandom(seed);
  const Z = Float32Array.from({ length: width * n }, () => random.normal());
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Z[i] - 0.5 * Z[n + i];
    const b = Z[2 * n + i];
    if (classes === 2) y[i] = (separable ? a : a + 0.8 * random.normal()) > 0.3 ? 1 : 0;
    else y[i] = a + 0.5 * random.normal() > 0.5 ? 2 : b + 0.5 * random.normal() > 0 ? 1 : 0;
    // a gap of 2 between the classes along the first column
    if (separable) Z[i] += y[i] === 1 ? 1 : -1;
  }
  return { Z, y, n, width, blocks: classes === 2 ? 1 : classes };
}

/** The subgradient optimality of f + Σ l1 |x|: its largest violation. */
function kktViolation(x: Float64Array, g: Float64Array, l1: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] !== 0 ? Math.abs(g[i] + l1[i] * Math.sign(x[i])) : Math.max(Math.abs(g[i]) - l1[i], 0);
    worst = Math.max(worst, v);
  }
  return worst;
}

const l1Of = (blocks: number, width: number, l1: number) => Float64Array.from({ length: blocks * (width + 1) }, (_, i) => (i % (width + 1) === width ? 0 : l1));

describe('L-BFGS / OWL-QN on the log-loss', () => {
  it.each([
    ['binary, L2', 2, 0, 0.01],
    ['binary, L1', 2, 0.02, 0],
    ['binary, elastic net', 2, 0.01, 0.01],
    ['multinomial, L2', 3, 0, 0.01],
    ['multinomial, L1', 3, 0.02, 0],
  ] as const)('meets the optimality conditions (%s)', async (_name, classes, l1, l2) => {
    const data = problem(3000, 5, classes, 4);
    const f = logisticObjective(data, l2);
    const l1Weights = l1Of(data.blocks, data.width, l1);
    const result = await owlqn(f, new Float64Array(data.blocks * (data.width + 1)), { l1: l1Weights, maxIter: 500, tol: 1e-8 });
    expect(result.converged).toBe(true);
    const g = new Float64Array(result.x.length);
    f(result.x, g);
    expect(kktViolation(result.x, g, l1Weights)).toBeLessThan(1e-6);
    if (l1 > 0) {
      // the noise columns (3 and 4) are cut to exactly zero in every block
      for (let k = 0; k < data.blocks; k++) expect([result.x[k * 6 + 3], result.x[k * 6 + 4]]).toEqual([0, 0]);
    }
  });

  it('converges to finite weights on separable classes with an L2 penalty, and keeps growing them without', async () => {
    const data = problem(1000, 3, 2, 6, true);
    const penalised = await owlqn(logisticObjective(data, 1e-3), new Float64Array(4), { l1: new Float64Array(4), maxIter: 1000, tol: 1e-8 });
    expect(penalised.converged).toBe(true);
    const norm = Math.hypot(...penalised.x);
    expect(Number.isFinite(norm)).toBe(true);
    // every row on its side of the boundary
    const { Z, y, n } = data;
    for (let i = 0; i < n; i++) {
      const m = penalised.x[0] * Z[i] + penalised.x[1] * Z[n + i] + penalised.x[2] * Z[2 * n + i] + penalised.x[3];
      expect(m > 0 ? 1 : 0).toBe(y[i]);
    }
    const free = await owlqn(logisticObjective(data, 0), new Float64Array(4), { l1: new Float64Array(4), maxIter: 30, tol: 1e-12 });
    expect(Math.hypot(...free.x)).toBeGreaterThan(2 * norm);
  });
});
