import { normedWasserstein, wassersteinDistance } from '../../../../shared/monitoring/stattests/wasserstein';
import { sortedSample, statisticsFixtures } from '../statistics_fixtures';

const populationStd = (values: number[]) => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
};

describe('Wasserstein distance, as scipy.stats.wasserstein_distance (normed by np.std of the reference)', () => {
  test.each(statisticsFixtures.wasserstein.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(wassersteinDistance(sortedSample(c.a), sortedSample(c.b))).toBeCloseTo(c.distance, 9);
    expect(normedWasserstein(sortedSample(c.a), sortedSample(c.b), populationStd(c.a))).toBeCloseTo(c.normed, 9);
  });
});
