import type { ColumnData } from '../../../shared/data/column_summary';
import { fraudRows } from '../../../shared/data/synthetic';
import { seededRandom } from '../../../shared/data/random';
import { buildReference, profileNumeric, ReferenceProfile } from '../../../shared/monitoring/reference_profile';
import { statisticsFixtures } from './statistics_fixtures';

const numeric = (values: number[], missing = 0): ColumnData => ({ kind: 'numeric', values: Float64Array.from(values), missing });
const categorical = (counts: Record<string, number>, missing = 0): ColumnData => ({ kind: 'categorical', counts: new Map(Object.entries(counts)), missing });
const normals = (n: number, seed: number, mean = 0, sd = 1) => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * random.normal());
};

describe('the reference profile', () => {
  test('numeric: count, missing, moments, numpy quantiles, decile bins covering every value, a bounded sorted sample', () => {
    for (const q of statisticsFixtures.quantiles) {
      const profile = profileNumeric('x', Float64Array.from(q.values), 3, 5000, seededRandom(1));
      expect(profile.quantiles.map(([p]) => p)).toEqual(q.probabilities);
      profile.quantiles.forEach(([, value], i) => expect(value).toBeCloseTo(q.quantiles[i], 12));
      expect(profile.count).toBe(q.values.length);
      expect(profile.missing).toBe(3);
      expect(profile.bins.counts.reduce((a, b) => a + b, 0)).toBe(q.values.length);
      const mean = q.values.reduce((a, b) => a + b, 0) / q.values.length;
      expect(profile.mean).toBeCloseTo(mean, 12);
      expect(profile.std).toBeCloseTo(Math.sqrt(q.values.reduce((a, v) => a + (v - mean) ** 2, 0) / q.values.length), 12);
    }
    const many = normals(20_000, 3);
    const profile = profileNumeric('x', Float64Array.from(many), 0, 5000, seededRandom(1));
    const set = new Set(many);
    expect(profile.sample).toHaveLength(5000);
    expect(profile.sample.every((v) => set.has(v))).toBe(true);
    expect([...profile.sample].sort((a, b) => a - b)).toEqual(profile.sample);
    expect(profile.values).toBeUndefined();
    expect(profile.bins.edges).toHaveLength(9);
    for (const n of profile.bins.counts) expect(Math.abs(n - 2000)).toBeLessThanOrEqual(1);
  });

  test('categorical: the most frequent categories and an "other" bucket for the rest; few-valued numerics list their values', () => {
    const counts = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`c${i}`, 1000 - i]));
    const reference = buildReference([{ name: 'city', ...categorical(counts, 7) }, { name: 'flag', ...numeric([0, 1, 1, 0, 1]) }], null);
    const city = reference.features[0];
    if (city.kind === 'numeric') throw new Error('expected categorical');
    expect(city.categories).toHaveLength(100);
    expect(city.categories[0]).toEqual(['c0', 1000]);
    expect(city.other).toBe(Array.from({ length: 50 }, (_, i) => 1000 - 100 - i).reduce((a, b) => a + b, 0));
    expect([city.unique, city.missing]).toEqual([150, 7]);
    const flag = reference.features[1];
    expect(flag.kind === 'numeric' && flag.values).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  test('a profile of 100 000 demo rows with scores stays well under 1 MB and parses back', () => {
    const rows = [...fraudRows(100_000, 5)];
    const names = ['step', 'amount', 'oldbalanceOrg', 'newbalanceOrig', 'oldbalanceDest', 'newbalanceDest'] as const;
    const types: Record<string, number> = {};
    for (const r of rows) types[r.type] = (types[r.type] ?? 0) + 1;
    const columns = [...names.map((name) => ({ name, ...numeric(rows.map((r) => r[name])) })), { name: 'type', ...categorical(types) }];
    const json = JSON.stringify(buildReference(columns, Float64Array.from(normals(15_000, 9))));
    expect(Buffer.byteLength(json)).toBeLessThan(1_000_000);
    expect(ReferenceProfile.safeParse(JSON.parse(json)).success).toBe(true);
  });
});
