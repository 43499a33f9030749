import { chiSquareTest } from '../../../../shared/monitoring/stattests/chisquare';
import { statisticsFixtures } from '../statistics_fixtures';

describe('chi-square on category counts, as scipy.stats.chisquare against the reference shares', () => {
  const cases = statisticsFixtures.categorical.flatMap((c) => (c.chisquare ? [[c.name, c, c.chisquare] as const] : []));
  test.each(cases)('%s', (_name, c, want) => {
    const chi = chiSquareTest(c.reference, c.current);
    expect(chi.statistic).toBeCloseTo(want.statistic, 8);
    expect(Math.abs(chi.pValue - want.p_value)).toBeLessThan(1e-9);
  });

  test('a category the reference never saw makes chi-square certain of drift', () => {
    const c = statisticsFixtures.categorical.find((f) => f.name === 'unseen category')!;
    expect(chiSquareTest(c.reference, c.current)).toEqual({ statistic: Infinity, pValue: 0 });
  });
});
