import { ksTwoSample } from '../../../../shared/monitoring/stattests/ks';
import { sortedSample, statisticsFixtures } from '../statistics_fixtures';

describe('two-sample Kolmogorov–Smirnov, as scipy.stats.ks_2samp (method auto)', () => {
  test.each(statisticsFixtures.ks.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = ksTwoSample(sortedSample(c.a), sortedSample(c.b));
    expect(Math.abs(result.statistic - c.statistic)).toBeLessThan(1e-12);
    expect(Math.abs(result.pValue - c.p_value)).toBeLessThan(1e-6);
    expect(result.method).toBe(Math.max(c.a.length, c.b.length) <= 10_000 ? 'exact' : 'asymptotic');
  });
});
