import { twoProportionZTest } from '../../../../shared/monitoring/stattests/z';
import { statisticsFixtures } from '../statistics_fixtures';

describe('two-proportion z-test on the counts of two values', () => {
  const cases = statisticsFixtures.categorical.flatMap((c) => (c.z ? [[c.name, c, c.z] as const] : []));
  test.each(cases)('%s', (_name, c, want) => {
    const z = twoProportionZTest(c.reference, c.current);
    expect(z.statistic).toBeCloseTo(want.statistic, 10);
    expect(Math.abs(z.pValue - want.p_value)).toBeLessThan(1e-12);
  });
});
