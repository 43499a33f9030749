import fs from 'node:fs';
import path from 'node:path';
import { chiSquareTest, jensenShannonDistance, twoProportionZTest } from '../../shared/monitoring/categorical_tests';
import { kolmogorovSf } from '../../shared/monitoring/kolmogorov_distribution';
import { ksTwoSample } from '../../shared/monitoring/ks';
import { populationStabilityIndex } from '../../shared/monitoring/psi';
import { gammaQ } from '../../shared/monitoring/special_functions';
import { normedWasserstein, wassersteinDistance } from '../../shared/monitoring/wasserstein';

/**
 * Every statistic against values scipy computed (test/fixtures/drift/make_fixtures.py wrote them), so
 * the thresholds people carry over from Evidently mean the same thing here.
 */
interface Fixtures {
  ks: Array<{ name: string; a: number[]; b: number[]; statistic: number; p_value: number }>;
  kolmogorov: Array<{ n: number; x: number; sf: number }>;
  gamma_q: Array<{ a: number; x: number; q: number }>;
  categorical: Array<{
    name: string;
    reference: number[];
    current: number[];
    jensenshannon: number;
    psi: number;
    chisquare?: { statistic: number; p_value: number };
    z?: { statistic: number; p_value: number };
  }>;
  wasserstein: Array<{ name: string; a: number[]; b: number[]; distance: number; normed: number }>;
}

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'drift', 'statistics.json'), 'utf8')) as Fixtures;
const sorted = (values: number[]) => Float64Array.from(values).sort();
const populationStd = (values: number[]) => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
};

describe('two-sample Kolmogorov–Smirnov, as scipy.stats.ks_2samp (method auto)', () => {
  test.each(fixtures.ks.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = ksTwoSample(sorted(c.a), sorted(c.b));
    expect(Math.abs(result.statistic - c.statistic)).toBeLessThan(1e-12);
    expect(Math.abs(result.pValue - c.p_value)).toBeLessThan(1e-6);
    expect(result.method).toBe(Math.max(c.a.length, c.b.length) <= 10_000 ? 'exact' : 'asymptotic');
  });
});

describe('Kolmogorov distribution survival function, as scipy.stats.kstwo.sf', () => {
  test.each(fixtures.kolmogorov.map((c) => [c.n, c.x, c] as const))('n=%d x=%d', (_n, _x, c) => {
    expect(Math.abs(kolmogorovSf(c.n, c.x) - c.sf)).toBeLessThan(1e-6);
  });
});

test('regularised upper incomplete gamma, as scipy.special.gammaincc', () => {
  for (const c of fixtures.gamma_q) {
    const q = gammaQ(c.a, c.x);
    expect({ ...c, diff: Math.abs(q - c.q) < 1e-12 + 1e-10 * c.q }).toEqual({ ...c, diff: true });
  }
});

describe('tests on category counts', () => {
  test.each(fixtures.categorical.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(jensenShannonDistance(c.reference, c.current)).toBeCloseTo(c.jensenshannon, 10);
    expect(populationStabilityIndex(c.reference, c.current)).toBeCloseTo(c.psi, 10);
    if (c.chisquare) {
      const chi = chiSquareTest(c.reference, c.current);
      expect(chi.statistic).toBeCloseTo(c.chisquare.statistic, 8);
      expect(Math.abs(chi.pValue - c.chisquare.p_value)).toBeLessThan(1e-9);
    }
    if (c.z) {
      const z = twoProportionZTest(c.reference, c.current);
      expect(z.statistic).toBeCloseTo(c.z.statistic, 10);
      expect(Math.abs(z.pValue - c.z.p_value)).toBeLessThan(1e-12);
    }
  });

  test('a category the reference never saw makes chi-square certain of drift', () => {
    const c = fixtures.categorical.find((f) => f.name === 'unseen category')!;
    expect(chiSquareTest(c.reference, c.current)).toEqual({ statistic: Infinity, pValue: 0 });
  });
});

describe('Wasserstein distance, as scipy.stats.wasserstein_distance (normed by np.std of the reference)', () => {
  test.each(fixtures.wasserstein.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(wassersteinDistance(sorted(c.a), sorted(c.b))).toBeCloseTo(c.distance, 9);
    expect(normedWasserstein(sorted(c.a), sorted(c.b), populationStd(c.a))).toBeCloseTo(c.normed, 9);
  });
});
