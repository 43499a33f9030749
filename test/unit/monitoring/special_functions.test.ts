import { gammaQ } from '../../../shared/monitoring/special_functions';
import { statisticsFixtures } from './statistics_fixtures';

test('regularised upper incomplete gamma, as scipy.special.gammaincc', () => {
  for (const c of statisticsFixtures.gamma_q) {
    const q = gammaQ(c.a, c.x);
    expect({ ...c, diff: Math.abs(q - c.q) < 1e-12 + 1e-10 * c.q }).toEqual({ ...c, diff: true });
  }
});
