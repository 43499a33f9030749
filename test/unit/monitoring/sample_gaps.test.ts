import { ksTwoSample } from '../../../shared/monitoring/stattests/ks';
import { sampleGaps } from '../../../shared/monitoring/sample_gaps';
import { wassersteinDistance } from '../../../shared/monitoring/stattests/wasserstein';
import { sortedSample, statisticsFixtures } from './statistics_fixtures';

/** A seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** What the merged walk over two sorted samples says: the statistics sampleGaps must equal. */
function walked(reference: Float64Array, values: Float64Array) {
  const sorted = Float64Array.from(values).sort();
  return { ks: ksTwoSample(reference, sorted).statistic, wasserstein: wassersteinDistance(reference, sorted) };
}

describe('KS and Wasserstein against a sorted sample without sorting the current values', () => {
  const cases: Array<[string, (r: () => number) => number, (r: () => number) => number]> = [
    ['same continuous distribution', (r) => r() * 100, (r) => r() * 100],
    ['shifted and wider', (r) => r() * 100, (r) => 30 + r() * 150],
    ['many ties on both sides', (r) => Math.floor(r() * 8), (r) => Math.floor(r() * 10) - 1],
    ['current entirely outside the reference', (r) => r(), (r) => 5 + r()],
    ['signed values and zeros', (r) => (r() < 0.2 ? 0 : r() - 0.5), (r) => (r() < 0.3 ? -0 : r() - 0.4)],
  ];
  test.each(cases)('%s', (_name, referenceValue, currentValue) => {
    const r = random(7);
    const reference = Float64Array.from({ length: 500 }, () => referenceValue(r)).sort();
    const values = Float64Array.from({ length: 20_000 }, () => currentValue(r));
    const before = Float64Array.from(values);
    const gaps = sampleGaps(reference, values);
    const expected = walked(reference, values);
    expect(gaps.size).toBe(values.length);
    expect(Math.abs(gaps.ks - expected.ks)).toBeLessThan(1e-12);
    expect(Math.abs(gaps.wasserstein - expected.wasserstein)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected.wasserstein));
    // the values are read, not reordered
    expect(values).toEqual(before);
  });

  test.each(statisticsFixtures.ks.map((c) => [c.name, c] as const))('scipy fixture %s', (_name, c) => {
    const gaps = sampleGaps(sortedSample(c.a), Float64Array.from(c.b));
    expect(Math.abs(gaps.ks - c.statistic)).toBeLessThan(1e-12);
  });
});
