import type { ColumnData } from '../../../shared/data/column_summary';
import { seededRandom } from '../../../shared/data/random';
import { compareToReference } from '../../../shared/monitoring/drift';
import { buildReference } from '../../../shared/monitoring/reference_profile';
import { MonitoringSettings } from '../../../shared/monitoring/settings';

const numeric = (values: number[], missing = 0): ColumnData => ({ kind: 'numeric', values: Float64Array.from(values), missing });
const categorical = (counts: Record<string, number>, missing = 0): ColumnData => ({ kind: 'categorical', counts: new Map(Object.entries(counts)), missing });
const normals = (n: number, seed: number, mean = 0, sd = 1) => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => mean + sd * random.normal());
};

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
