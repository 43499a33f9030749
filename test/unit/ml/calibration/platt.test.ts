import { seededRandom } from '../../../../shared/data/random';
import { fitPlatt } from '../../../../shared/ml/calibration/platt';

describe('Platt scaling', () => {
  it('recovers the sigmoid the labels were drawn from', () => {
    const random = seededRandom(3);
    const n = 20_000;
    const scores = Float64Array.from({ length: n }, () => 3 * random.normal());
    const positive = Array.from(scores, (f) => random.next() < 1 / (1 + Math.exp(-(1.7 * f - 0.8))));
    const { a, b } = fitPlatt(scores, positive, n);
    expect(Math.abs(a - 1.7)).toBeLessThan(0.1);
    expect(Math.abs(b + 0.8)).toBeLessThan(0.1);
  });

  it('stays finite on separable scores, thanks to the smoothed targets', () => {
    const scores = Float64Array.of(-3, -2, -1, 1, 2, 3);
    const { a, b } = fitPlatt(scores, [false, false, false, true, true, true], 6);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(a).toBeGreaterThan(0);
    // a target of 4/5 for positives: the fitted probability of the highest score stays below 1
    expect(1 / (1 + Math.exp(-(a * 3 + b)))).toBeLessThan(0.99);
  });
});
