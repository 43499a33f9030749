import fs from 'node:fs';
import path from 'node:path';
import { compareFiles } from '../../shared/monitoring/compare_files';
import { DEFAULT_MONITORING } from '../../shared/monitoring/settings';

/**
 * The whole comparison (kinds, the test Evidently would pick, statistic, verdict, PSI) on two pairs of
 * CSV files, against what make_fixtures.py computed with numpy and scipy following Evidently's rules.
 */
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'drift');
type Expected = Record<string, { share: number; dataset_drift: boolean; features: Record<string, { test: string; statistic: number; p_value: number | null; threshold: number; drifted: boolean; psi: number }> }>;
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'compare_expected.json'), 'utf8')) as Expected;
const open = (file: string) => async () => fs.createReadStream(path.join(FIXTURES, file));

describe.each(['small', 'large'])('%s reference', (size) => {
  test('every feature gets Evidently\'s default test, statistic and verdict, and mloop\'s PSI', async () => {
    const { result, skipped } = await compareFiles(open(`compare_${size}_reference.csv`), open(`compare_${size}_current.csv`), DEFAULT_MONITORING);
    const want = expected[size];
    expect(skipped).toEqual({});
    expect(result.share).toBeCloseTo(want.share, 12);
    expect(result.dataset_drift).toBe(want.dataset_drift);
    expect(result.features.map((f) => f.name)).toEqual(Object.keys(want.features));
    for (const feature of result.features) {
      const w = want.features[feature.name];
      expect({ name: feature.name, test: feature.test, threshold: feature.threshold, drifted: feature.drifted }).toEqual({ name: feature.name, test: w.test, threshold: w.threshold, drifted: w.drifted });
      // The z statistic's sign depends on which value is counted; its p-value does not.
      const statistic = feature.test === 'z' ? Math.abs(feature.statistic!) : feature.statistic!;
      expect(statistic).toBeCloseTo(feature.test === 'z' ? Math.abs(w.statistic) : w.statistic, 9);
      if (w.p_value === null) expect(feature.p_value).toBeNull();
      else expect(Math.abs(feature.p_value! - w.p_value)).toBeLessThan(1e-9);
      expect(feature.psi).toBeCloseTo(w.psi, 9);
    }
  });
});
