import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { compareFiles } from '../../../shared/monitoring/compare_files';
import { DEFAULT_MONITORING } from '../../../shared/monitoring/settings';

/**
 * The whole comparison (kinds, the test Evidently would pick, statistic, verdict, PSI) on two pairs of
 * CSV files, against what make_fixtures.py computed with numpy and scipy following Evidently's rules.
 */
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'drift');
type Expected = Record<string, { share: number; dataset_drift: boolean; features: Record<string, { test: string; statistic: number; p_value: number | null; threshold: number; drifted: boolean; psi: number }> }>;
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'compare_expected.json'), 'utf8')) as Expected;
const source = (file: string) => ({ name: file, open: async () => fs.createReadStream(path.join(FIXTURES, file)) });

describe.each(['small', 'large'])('%s reference', (size) => {
  test('every feature gets Evidently\'s default test, statistic and verdict, and mloop\'s PSI', async () => {
    const { result, skipped, leftOut } = await compareFiles(source(`compare_${size}_reference.csv`), source(`compare_${size}_current.csv`), DEFAULT_MONITORING);
    expect(leftOut).toEqual([]);
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

describe('two files that do not fit', () => {
  const text = (name: string, csv: string) => ({ name, open: async () => Readable.from([Buffer.from(csv)]) });
  const reference = text('ref.csv', 'amount,kind\n1,a\n2,b\n3,a\n');

  test('an error in either file names that file, and the line when the reader knows it', async () => {
    await expect(compareFiles(reference, text('cur.csv', 'amount,kind\n1,a\n2,"b\n'), DEFAULT_MONITORING)).rejects.toThrow(/^cur\.csv:3: cannot parse the CSV/);
    await expect(compareFiles(text('ref.csv', 'amount;kind\n1;a\n'), reference, DEFAULT_MONITORING)).rejects.toThrow(/^ref\.csv:1: the header looks ";"-separated/);
    await expect(compareFiles(reference, text('cur.csv', ''), DEFAULT_MONITORING)).rejects.toThrow(/^cur\.csv: the CSV file is empty/);
  });

  test('a column of the reference missing from the current file is an error that names both sides', async () => {
    const err = compareFiles(reference, text('cur.csv', 'amount,type\n1,a\n'), DEFAULT_MONITORING);
    await expect(err).rejects.toThrow('cur.csv:1: the reference\'s column "kind" is not in this header (amount, type); compare two files with the same columns');
  });

  test('ragged lines are left out, counted per file, the first one named', async () => {
    const { leftOut, result } = await compareFiles(reference, text('cur.csv', 'amount,kind\n1,a\n2\n3,b,x\n4,b\n'), DEFAULT_MONITORING);
    expect(result.rows).toBe(2);
    expect(leftOut).toEqual([{ file: 'cur.csv', count: 2, first: { line: 3, reason: 'has 1 fields but the header has 2' } }]);
  });
});
