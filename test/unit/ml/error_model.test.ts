import { seededRandom } from '../../../shared/data/random';
import type { FeatureSpec } from '../../../shared/data/encoding';
import { ErrorEstimator, fitErrorModel, parseErrorModel } from '../../../shared/ml/error_model';
import { estimateError } from '../../../shared/monitoring/estimated_error';

/**
 * Direct Loss Estimation on a regression whose noise is four times larger where a > 1.5: the error model
 * learns where the model errs, so a window served only from there is estimated near the MAE its labels
 * realise, and above the limit; a window like the test split is not.
 */
const specs: FeatureSpec[] = [
  { name: 'a', kind: 'numeric', mean: 1, std: 0.6, min: 0, max: 2, fill: 1 },
  { name: 'b', kind: 'numeric', mean: 0, std: 1, min: -3, max: 3, fill: 0 },
];
const random = seededRandom(5);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());

function rows(n: number, from = 0, to = 2) {
  const X = new Float32Array(n * 2);
  const y = new Float32Array(n);
  const predicted = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = from + (to - from) * random.next();
    const b = gaussian();
    X[i * 2] = a;
    X[i * 2 + 1] = b;
    // the model got the mean right; its error is the noise, larger past a = 1.5
    predicted[i] = 3 * a + b;
    y[i] = predicted[i] + gaussian() * (a > 1.5 ? 4 : 1);
  }
  return { X, y, n, predicted };
}

const realisedMae = (s: ReturnType<typeof rows>) => s.y.reduce((sum, y, i) => sum + Math.abs(y - s.predicted[i]), 0) / s.n;

describe('the error model of a regression (Direct Loss Estimation)', () => {
  it('estimates the MAE of a window moved to where the model errs more, and raises the alarm there only', async () => {
    const validation = rows(4000);
    const test = rows(2000);
    const file = await fitErrorModel({ task: 'regression', specs, validation, test }, { validation: validation.predicted, test: test.predicted });
    expect(file).not.toBeNull();
    // as a version folder stores it
    const stored = parseErrorModel(JSON.parse(JSON.stringify(file)));
    expect(stored.reference.mae).toBeCloseTo(realisedMae(test), 6);
    expect(Math.abs(stored.reference.estimated_mae - stored.reference.mae)).toBeLessThan(0.05 * stored.reference.mae);

    const estimator = new ErrorEstimator(stored, specs);
    const estimate = (s: ReturnType<typeof rows>) => Float64Array.from({ length: s.n }, (_, i) => estimator.estimate({ a: s.X[i * 2], b: s.X[i * 2 + 1] }, s.predicted[i]));
    const settings = { estimated_mae_rise: 0.25 };
    const usual = rows(1000);
    const same = estimateError(estimate(usual), stored.reference, settings);
    expect(same.degraded).toBe(false);
    expect(Math.abs(same.mae - realisedMae(usual))).toBeLessThan(0.1 * realisedMae(usual));

    const shifted = rows(1000, 1.5, 2);
    const moved = estimateError(estimate(shifted), stored.reference, settings);
    expect(moved.degraded).toBe(true);
    expect(moved.mae).toBeGreaterThan(2 * same.mae);
    // near what the labels realise: within its interval widened by the error model's own bias on test
    const realised = realisedMae(shifted);
    expect(Math.abs(moved.mae - realised)).toBeLessThan(0.1 * realised);
    expect(moved.summary).toMatch(/estimated MAE .* from 1000 served rows before labels; test MAE .*: degraded/);
  }, 60_000);

  it('is not fitted for a classifier, nor on too few validation rows', async () => {
    const few = rows(50);
    expect(await fitErrorModel({ task: 'regression', specs, validation: few, test: few }, { validation: few.predicted, test: few.predicted })).toBeNull();
    const many = rows(500);
    expect(await fitErrorModel({ task: 'binary', specs, validation: many, test: many }, { validation: many.predicted, test: many.predicted })).toBeNull();
  });
});
