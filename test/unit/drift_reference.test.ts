import fs from 'node:fs';
import path from 'node:path';
import type { ColumnData } from '../../shared/data/column_data';
import { fraudRows } from '../../shared/data/synthetic';
import { seededRandom } from '../../shared/data/random';
import { compareToReference } from '../../shared/monitoring/drift';
import { buildReference, profileNumeric, ReferenceProfile } from '../../shared/monitoring/reference_profile';
import { MonitoringSettings } from '../../shared/monitoring/settings';

const numeric = (values: number[], missing = 0): ColumnData => ({ kind: 'numeric', values: Float64Array.from(values), missing });
const categorical = (counts: Record<string, number>, missing = 0): ColumnData => ({ kind: 'categorical', counts: new Map(Object.entries(counts)), missing });
const normals = (n: number, seed: number, mean = 0, sd = 1) => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * random.normal());
};

describe('the reference profile', () => {
  test('numeric: count, missing, moments, numpy quantiles, decile bins covering every value, a bounded sorted sample', () => {
    const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'drift', 'statistics.json'), 'utf8')) as {
      quantiles: Array<{ values: number[]; probabilities: number[]; quantiles: number[] }>;
    };
    for (const q of fixtures.quantiles) {
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

describe('comparing a window with the reference', () => {
  const reference = buildReference(
    [
      { name: 'amount', ...numeric(normals(5000, 1, 100, 10)) },
      { name: 'age', ...numeric(normals(5000, 2, 40, 5)) },
      { name: 'type', ...categorical({ a: 3000, b: 1500, c: 500 }) },
    ],
    Float64Array.from(normals(3000, 4, 0.3, 0.1)),
  );
  const settings = (overrides: object = {}) => MonitoringSettings.parse(overrides);
  const window = (amount: number[], age: number[], type: Record<string, number>, scores: number[] | null = null, missingAge = 0) => ({
    rows: amount.length,
    features: new Map<string, ColumnData>([
      ['amount', numeric(amount)],
      ['age', numeric(age, missingAge)],
      ['type', categorical(type)],
    ]),
    scores: scores ? Float64Array.from(scores) : null,
  });

  test('the same distributions: large reference, so Wasserstein and Jensen-Shannon, nothing drifts', () => {
    const result = compareToReference(reference, window(normals(2000, 11, 100, 10), normals(2000, 12, 40, 5), { a: 1190, b: 610, c: 200 }), settings());
    expect(result.features.map((f) => [f.name, f.test, f.drifted])).toEqual([
      ['amount', 'wasserstein', false],
      ['age', 'wasserstein', false],
      ['type', 'jensenshannon', false],
    ]);
    expect([result.share, result.dataset_drift, result.prediction]).toEqual([0, false, null]);
  });

  test('shifted amounts and a new category: drift, out-of-range values and unseen categories flagged, share against drift_share', () => {
    const result = compareToReference(reference, window(normals(2000, 13, 130, 10), normals(2000, 14, 40, 5), { a: 500, b: 500, d: 1000 }), settings());
    const [amount, age, type] = result.features;
    expect([amount.drifted, age.drifted, type.drifted]).toEqual([true, false, true]);
    expect(result.share).toBeCloseTo(2 / 3, 12);
    expect(result.dataset_drift).toBe(true);
    expect(result.drifted).toEqual(['amount', 'type']);
    expect(amount.quality.out_of_range!.count).toBeGreaterThan(100);
    expect(type.quality.unseen).toEqual({ count: 1000, share: 0.5, values: [['d', 1000]] });
    expect(type.quality.issues[0]).toMatch(/never seen in training: d/);
    expect(compareToReference(reference, window(normals(2000, 13, 130, 10), normals(2000, 14, 40, 5), { a: 500, b: 500, d: 1000 }), settings({ drift_share: 0.7 })).dataset_drift).toBe(false);
  });

  test('per-feature configuration: ignore, method and threshold; a numeric-only method on a category falls back', () => {
    const config = settings({ features: { amount: { ignore: true }, age: { method: 'psi', threshold: 0.001 }, type: { method: 'ks' } } });
    const result = compareToReference(reference, window(normals(2000, 13, 130, 10), normals(2000, 15, 40, 5), { a: 1190, b: 610, c: 200 }), config);
    const [amount, age, type] = result.features;
    expect([amount.ignored, amount.drifted]).toEqual([true, true]);
    expect([age.test, age.threshold, age.statistic, age.drifted]).toEqual(['psi', 0.001, age.psi, true]);
    expect([type.test, type.note]).toEqual(['jensenshannon', 'ks applies to numeric features only; jensenshannon was used']);
    expect(result.drifted).toEqual(['age']);
    expect(result.share).toBeCloseTo(1 / 2, 12);
  });

  test('missing values: the rate change is a data-quality issue; a feature with no values is not tested nor counted', () => {
    const result = compareToReference(reference, window(normals(2000, 16, 100, 10), [], { a: 1190, b: 610, c: 200 }, null, 2000), settings());
    const age = result.features[1];
    expect([age.test, age.drifted, age.note]).toEqual([null, false, 'no values in the window']);
    expect(age.quality.missing_rate).toEqual({ reference: 0, current: 1 });
    expect(age.quality.issues).toEqual(['missing rate 0.0% → 100.0%']);
    expect(result.share).toBe(0);
  });

  test('prediction drift: the scores against the test scores, reported apart from the feature share', () => {
    const same = compareToReference(reference, window(normals(500, 17, 100, 10), normals(500, 18, 40, 5), { a: 300, b: 150, c: 50 }, normals(500, 19, 0.3, 0.1)), settings());
    const moved = compareToReference(reference, window(normals(500, 17, 100, 10), normals(500, 18, 40, 5), { a: 300, b: 150, c: 50 }, normals(500, 20, 0.5, 0.1)), settings());
    expect([same.prediction!.test, same.prediction!.drifted]).toEqual(['wasserstein', false]);
    expect(moved.prediction!.drifted).toBe(true);
    expect(moved.share).toBe(same.share);
  });
});
