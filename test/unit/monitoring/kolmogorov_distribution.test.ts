import { kolmogorovSf } from '../../../shared/monitoring/kolmogorov_distribution';
import { statisticsFixtures } from './statistics_fixtures';

describe('Kolmogorov distribution survival function, as scipy.stats.kstwo.sf', () => {
  test.each(statisticsFixtures.kolmogorov.map((c) => [c.n, c.x, c] as const))('n=%d x=%d', (_n, _x, c) => {
    expect(Math.abs(kolmogorovSf(c.n, c.x) - c.sf)).toBeLessThan(1e-6);
  });
});
