import { seededRandom } from '../../../shared/data/random';
import { rocAuc } from '../../../shared/ml/metrics';
import { MISSING_SLICE, sliceMetrics } from '../../../shared/ml/slice_metrics';

/**
 * A known case: on region "north" both models rank perfectly; on "south" the candidate ranks every
 * positive below every negative (AUC 0) while production still ranks perfectly (AUC 1).
 */
function known() {
  const y: number[] = [];
  const candidate: number[] = [];
  const production: number[] = [];
  const region: string[] = [];
  for (let i = 0; i < 300; i++) {
    const north = i < 200;
    const positive = i % 4 === 0;
    y.push(positive ? 1 : 0);
    region.push(north ? 'north' : i < 290 ? 'south' : '');
    const good = positive ? 0.6 + (i % 7) / 100 : 0.2 + (i % 5) / 100;
    candidate.push(north ? good : 1 - good);
    production.push(good);
  }
  return { y, candidate, production, region };
}

describe('sliceMetrics', () => {
  it('measures every metric on each slice for both models, with its count and the paired difference', () => {
    const { y, candidate, production, region } = known();
    const slices = sliceMetrics({ task: 'binary', classes: 0, y, candidate, production, columns: [{ column: 'region', values: region }], metric: 'auc', resamples: 100, seed: 3 });
    expect(slices.map((s) => [s.value, s.rows])).toEqual([['north', 200], ['south', 90], [MISSING_SLICE, 10]]);
    const [north, south] = slices;
    expect(north.candidate.auc.value).toBe(1);
    expect(north.production!.auc.value).toBe(1);
    expect(south.candidate.auc.value).toBe(0);
    expect(south.production!.auc.value).toBe(1);
    expect(south.difference!.value).toBe(-1);
    // a perfect ranking stays perfect on any resample with both classes
    expect(north.candidate.auc.ci95).toEqual([1, 1]);
    expect(south.difference!.ci95).toEqual([-1, -1]);
    for (const name of ['auc', 'pr_auc', 'logloss']) expect(Object.keys(south.candidate)).toContain(name);
    expect(south.candidate.pr_auc.value).toBeLessThan(0.5);
  });

  it('bounds a noisy slice metric with an interval around it that narrows with more rows', () => {
    const random = seededRandom(5);
    const n = 4000;
    const y = Array.from({ length: n }, () => (random.next() < 0.3 ? 1 : 0));
    const scores = y.map((v) => v * 0.8 + random.normal());
    // "big" has 3600 rows, "small" 400
    const group = y.map((_, i) => (i % 10 === 0 ? 'small' : 'big'));
    const [big, small] = sliceMetrics({ task: 'binary', classes: 0, y, candidate: scores, columns: [{ column: 'g', values: group }], metric: 'auc', resamples: 300, seed: 1 });
    const bigY = y.filter((_, i) => group[i] === 'big');
    expect(big.candidate.auc.value).toBeCloseTo(rocAuc(bigY, scores.filter((_, i) => group[i] === 'big')), 12);
    for (const s of [big, small]) {
      const [lo, hi] = s.candidate.auc.ci95!;
      expect(lo).toBeLessThan(s.candidate.auc.value!);
      expect(hi).toBeGreaterThan(s.candidate.auc.value!);
    }
    const width = (s: typeof big) => s.candidate.auc.ci95![1] - s.candidate.auc.ci95![0];
    // the standard error shrinks as 1/√rows: 9 × the rows, about a third of the width
    expect(width(small) / width(big)).toBeGreaterThan(2);
    expect(width(small) / width(big)).toBeLessThan(4.5);
    expect(big.production).toBeNull();
    expect(big.difference).toBeNull();
  });

  it('repeats exactly for a seed', () => {
    const { y, candidate, production, region } = known();
    const input = { task: 'binary' as const, classes: 0, y, candidate, production, columns: [{ column: 'region', values: region }], metric: 'pr_auc', resamples: 50, seed: 8 };
    expect(sliceMetrics(input)).toEqual(sliceMetrics(input));
  });
});
