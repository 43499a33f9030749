import { populationStabilityIndex } from '../../../../shared/monitoring/stattests/psi';
import { statisticsFixtures } from '../statistics_fixtures';

describe('population stability index on category counts, with Evidently\'s fill of empty bins', () => {
  test.each(statisticsFixtures.categorical.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(populationStabilityIndex(c.reference, c.current)).toBeCloseTo(c.psi, 10);
  });
});
