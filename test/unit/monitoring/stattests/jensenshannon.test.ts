import { jensenShannonDistance } from '../../../../shared/monitoring/stattests/jensenshannon';
import { statisticsFixtures } from '../statistics_fixtures';

describe('Jensen–Shannon distance on category counts, as scipy.spatial.distance.jensenshannon(base=2)', () => {
  test.each(statisticsFixtures.categorical.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(jensenShannonDistance(c.reference, c.current)).toBeCloseTo(c.jensenshannon, 10);
  });
});
