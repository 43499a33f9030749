import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { MloopError } from '../../../../shared/core/errors';
import { FeatureMonitoring, MonitoringSettings } from '../../../../shared/monitoring/settings';
import { STAT_TEST_NAMES, STAT_TESTS, statTest } from '../../../../shared/monitoring/stattests/registry';
import { isDrift, type ReferenceSide, type Side, type StatTest } from '../../../../shared/monitoring/stattests/stat_test';

const FOLDER = path.join(__dirname, '..', '..', '..', '..', 'shared', 'monitoring', 'stattests');
const NOT_TESTS = ['registry.ts', 'select.ts', 'stat_test.ts'];

describe('the registered drift tests', () => {
  test('each declares its column kinds, default threshold and which way it says drift, as Evidently\'s', () => {
    const declared = STAT_TESTS.map(({ name, columnKinds, defaultThreshold, direction, driftsAtThreshold }) => ({ name, columnKinds, defaultThreshold, direction, driftsAtThreshold }));
    const all = ['numeric', 'categorical', 'boolean'];
    expect(declared).toEqual([
      { name: 'ks', columnKinds: ['numeric'], defaultThreshold: 0.05, direction: 'p_value', driftsAtThreshold: true },
      { name: 'wasserstein', columnKinds: ['numeric'], defaultThreshold: 0.1, direction: 'distance', driftsAtThreshold: true },
      { name: 'chisquare', columnKinds: all, defaultThreshold: 0.05, direction: 'p_value', driftsAtThreshold: false },
      { name: 'z', columnKinds: all, defaultThreshold: 0.05, direction: 'p_value', driftsAtThreshold: false },
      { name: 'jensenshannon', columnKinds: all, defaultThreshold: 0.1, direction: 'distance', driftsAtThreshold: true },
      { name: 'psi', columnKinds: all, defaultThreshold: 0.1, direction: 'distance', driftsAtThreshold: true },
    ]);
    expect(STAT_TEST_NAMES).toEqual(declared.map((t) => t.name));
  });

  test('every file of the folder but the interface, registry and selection rule is one registered test, named as the file', () => {
    const files = fs.readdirSync(FOLDER).filter((f) => f.endsWith('.ts') && !NOT_TESTS.includes(f));
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual([...STAT_TEST_NAMES].sort());
    for (const file of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(path.join(FOLDER, file)) as Record<string, unknown>);
      const descriptors = exported.filter((value) => typeof value === 'object' && value !== null && 'run' in value && 'columnKinds' in value);
      expect({ file, descriptors }).toEqual({ file, descriptors: [statTest(file.replace(/\.ts$/, ''))] });
    }
  });

  test('every method mloop.json accepts for a feature, but auto, resolves to a test, and only those are accepted', () => {
    const accepted = FeatureMonitoring.shape.method.unwrap().options.filter((m) => m !== 'auto');
    expect([...accepted].sort()).toEqual([...STAT_TEST_NAMES].sort());
    for (const method of accepted) {
      const parsed = MonitoringSettings.parse({ features: { amount: { method } } });
      expect(statTest(parsed.features.amount.method).name).toBe(method);
    }
    expect(MonitoringSettings.safeParse({ features: { amount: { method: 'kl_div' } } }).success).toBe(false);
  });

  test('an unknown name is an invalid_argument that lists the names to use', () => {
    const error = (() => {
      try {
        statTest('kl_div');
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(MloopError);
    expect((error as MloopError).code).toBe('invalid_argument');
    expect((error as MloopError).message).toBe(
      'unknown drift test "kl_div": use one of ks, wasserstein, chisquare, z, jensenshannon, psi (or "auto", Evidently\'s default choice) as a feature\'s monitoring method',
    );
  });

  test('a result exactly at the threshold drifts as the test declares', () => {
    for (const stat of STAT_TESTS) {
      const result = stat.direction === 'p_value' ? { statistic: 1, pValue: 0.05 } : { statistic: 0.05, pValue: null };
      expect({ name: stat.name, drifted: isDrift(stat, result, 0.05) }).toEqual({ name: stat.name, drifted: stat.driftsAtThreshold });
    }
  });
});

const std = (values: ArrayLike<number>) => {
  const xs = Array.from(values);
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
};
const referenceSide = (values: number[], counts: number[]): ReferenceSide => {
  const sorted = Float64Array.from(values).sort();
  return { sorted, counts, std: std(sorted) };
};
const verdict = (test: StatTest, reference: ReferenceSide, current: Side) => {
  const result = test.run(reference, current);
  return { name: test.name, statistic: Math.abs(result.statistic), pValue: result.pValue, drifted: isDrift(test, result, test.defaultThreshold) };
};

const values = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 });
const counts = fc.array(fc.nat(1000), { minLength: 1, maxLength: 8 }).filter((c) => c.some((n) => n > 0));

describe.each(STAT_TESTS.map((test) => [test.name, test] as const))('%s', (_name, stat) => {
  test('a current side distributed exactly as the reference (each value, each count, repeated k times) never drifts', () => {
    fc.assert(
      fc.property(values, counts, fc.integer({ min: 1, max: 5 }), (xs, cs, k) => {
        const reference = referenceSide(xs, cs);
        const current: Side = { sorted: Float64Array.from(xs.flatMap((x) => Array(k).fill(x))).sort(), counts: cs.map((n) => k * n) };
        const none = stat.direction === 'p_value' ? { statistic: 0, pValue: 1 } : { statistic: 0, pValue: null };
        expect(verdict(stat, reference, current)).toEqual({ name: stat.name, ...none, drifted: false });
      }),
    );
  });

  test('a current side with no value or category in common with the reference drifts', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 10, maxLength: 60 }), fc.integer({ min: 10, max: 1000 }), fc.integer({ min: 10, max: 1000 }), (xs, a, c) => {
        const shift = Math.max(...xs) - Math.min(...xs) + 1;
        const reference = referenceSide(xs, [a, 0]);
        const current: Side = { sorted: Float64Array.from(xs.map((x) => x + shift)).sort(), counts: [0, c] };
        expect(verdict(stat, reference, current)).toMatchObject({ name: stat.name, drifted: true });
      }),
    );
  });
});
