import { seededRandom } from '../../../shared/data/random';
import { rocAuc } from '../../../shared/ml/metrics';
import { pairedBootstrapAuc, pairedBootstrapMetric, ranking, weightedAuc } from '../../../shared/ml/paired_bootstrap';

function holdout(n: number, seed: number) {
  const random = seededRandom(seed);
  const y = new Float32Array(n);
  const strong = new Float32Array(n);
  const weak = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = random.next() < 0.2 ? 1 : 0;
    // Rounded scores: ties must count one half, as in rocAuc.
    strong[i] = Math.round((y[i] * 1.5 + random.normal()) * 10) / 10;
    weak[i] = Math.round((y[i] * 0.5 + random.normal()) * 10) / 10;
  }
  return { y, strong, weak };
}


describe('pairedBootstrapAuc', () => {
  it('weights rows as if they were repeated: a resample scores like the rows it drew', () => {
    const { y, strong } = holdout(500, 1);
    const random = seededRandom(9);
    const counts = new Float64Array(y.length);
    const drawn: number[] = [];
    for (let i = 0; i < y.length; i++) {
      const j = random.int(y.length);
      counts[j]++;
      drawn.push(j);
    }
    const expanded = rocAuc(Float32Array.from(drawn, (j) => y[j]), Float32Array.from(drawn, (j) => strong[j]));
    expect(weightedAuc(ranking(y, strong), counts)).toBeCloseTo(expanded, 12);
    expect(weightedAuc(ranking(y, strong), new Float64Array(y.length).fill(1))).toBeCloseTo(rocAuc(y, strong), 12);
  });

  it('measures the difference on the holdout and bounds it with a 95 % interval that excludes 0 for a real gain', () => {
    const { y, strong, weak } = holdout(2000, 2);
    const result = pairedBootstrapAuc(y, strong, weak, 500, 7)!;
    expect(result.difference).toBeCloseTo(rocAuc(y, strong) - rocAuc(y, weak), 12);
    expect(result.ci95[0]).toBeGreaterThan(0);
    expect(result.ci95[0]).toBeLessThan(result.difference);
    expect(result.ci95[1]).toBeGreaterThan(result.difference);
    expect(result).toMatchObject({ metric: 'auc', resamples: 500, seed: 7 });
  });

  it('straddles 0 for the same model, and repeats exactly for a seed', () => {
    const { y, strong } = holdout(1500, 3);
    const jitter = strong.map((v, i) => v + (i % 7 === 0 ? 0.05 : 0));
    const a = pairedBootstrapAuc(y, jitter, strong, 500, 11)!;
    expect(a.ci95[0]).toBeLessThan(0 + 1e-12);
    expect(a.ci95[1]).toBeGreaterThan(0 - 1e-12);
    expect(pairedBootstrapAuc(y, jitter, strong, 500, 11)).toEqual(a);
    expect(pairedBootstrapAuc(y, strong, strong, 200, 1)).toMatchObject({ difference: 0, ci95: [0, 0] });
  });

  it('has nothing to say about a holdout with one class', () => {
    expect(pairedBootstrapAuc(new Float32Array(10), new Float32Array(10), new Float32Array(10))).toBeNull();
  });
});

describe('pairedBootstrapMetric', () => {
  // each row: whether the candidate and production got it right (a classifier's accuracy)
  const random = seededRandom(7);
  const n = 400;
  const candidate = Array.from({ length: n }, () => (random.next() < 0.8 ? 1 : 0));
  const production = Array.from({ length: n }, () => (random.next() < 0.7 ? 1 : 0));
  const mean = (values: number[], rows: Uint32Array | null) => (rows ? Array.from(rows, (r) => values[r]) : values).reduce((a, b) => a + b, 0) / (rows ? rows.length : values.length);
  const measureOn = (rows: Uint32Array | null): [number, number] => [mean(candidate, rows), mean(production, rows)];

  it('bounds the difference measured on the whole holdout, the same for the same seed', () => {
    const interval = pairedBootstrapMetric('accuracy', n, measureOn, 500, 3)!;
    expect(interval.metric).toBe('accuracy');
    expect(interval.difference).toBeCloseTo(mean(candidate, null) - mean(production, null), 12);
    expect(interval.ci95[0]).toBeLessThan(interval.difference);
    expect(interval.ci95[1]).toBeGreaterThan(interval.difference);
    // about two standard errors of a difference of proportions on 400 rows each side
    expect(interval.ci95[1] - interval.ci95[0]).toBeGreaterThan(0.05);
    expect(interval.ci95[1] - interval.ci95[0]).toBeLessThan(0.2);
    expect(pairedBootstrapMetric('accuracy', n, measureOn, 500, 3)).toEqual(interval);
  });

  it('has no interval without rows or a finite difference', () => {
    expect(pairedBootstrapMetric('accuracy', 0, () => [NaN, NaN])).toBeNull();
    expect(pairedBootstrapMetric('accuracy', 3, () => [1, NaN])).toBeNull();
  });
});
