import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MloopError } from '../../shared/core/errors';
import { parseDatasetConfig } from '../../shared/data/dataset_config';
import { encodedWidth, encodeRecords } from '../../shared/data/encoding';
import { prepareTrainingData } from '../../shared/data/prepare';
import { writeFraudCsv } from '../../shared/data/synthetic';

const fromText = (text: string) => async () => Readable.from([Buffer.from(text)]);

describe('prepareTrainingData', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-prepare-'));
    file = path.join(dir, 'paysim.csv');
    await writeFraudCsv(file, { rows: 6000, seed: 21 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('turns a PaySim CSV into encoded, stratified splits and a raw holdout', async () => {
    const data = await prepareTrainingData(async () => createReadStream(file), parseDatasetConfig({}));
    const width = encodedWidth(data.specs);
    expect(data.specs.map((s) => s.name)).toEqual(['step', 'type', 'amount', 'oldbalanceOrg', 'newbalanceOrig', 'oldbalanceDest', 'newbalanceDest']);
    expect(width).toBe(11);
    expect(data.dropped).toEqual([
      { name: 'nameOrig', reason: 'id-like' },
      { name: 'nameDest', reason: 'id-like' },
      { name: 'isFraud', reason: 'target' },
    ]);
    expect([data.target, data.positiveClass, data.negativeClass]).toEqual(['isFraud', '1', '0']);
    const { train, validation, test, report } = data;
    expect(train.n + validation.n + test.n).toBe(6000);
    expect(report).toMatchObject({ rows: 6000, rejectedCount: 0, rejected: [] });
    expect(report.positives + report.negatives).toBe(6000);
    for (const split of [train, validation, test]) {
      expect(split.X).toHaveLength(split.n * width);
      expect(split.y).toHaveLength(split.n);
      expect(split.y.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
    expect(train.y.reduce((a, b) => a + b, 0) / train.n).toBeCloseTo(report.positives / 6000, 3);

    // The holdout keeps the file's own strings, and re-encoding them gives exactly the training matrix.
    expect(test.records).toHaveLength(test.n);
    expect(Object.keys(test.records[0])).toEqual(data.specs.map((s) => s.name));
    expect(test.records[0].amount).toMatch(/^\d+\.\d\d$/);
    expect(Array.from(encodeRecords(test.records, data.specs))).toEqual(Array.from(test.X));

    expect(report.columns.find((c) => c.name === 'amount')).toMatchObject({ kind: 'numeric', missing: 0, min: expect.any(Number), mean: expect.any(Number) });
    expect(report.columns.find((c) => c.name === 'type')).toMatchObject({ kind: 'categorical', unique: 5 });
    expect(report.columns.find((c) => c.name === 'nameOrig')).toMatchObject({ kind: 'dropped', reason: 'id-like', missing: 0 });
  });

  it('is deterministic for a seed', async () => {
    const open = async () => createReadStream(file);
    const a = await prepareTrainingData(open, parseDatasetConfig({ seed: 5 }));
    const b = await prepareTrainingData(open, parseDatasetConfig({}), { seed: 5 });
    expect(b.test.X).toEqual(a.test.X);
    expect(b.specs).toEqual(a.specs);
  });

  it('maps a string target with positive_class, fits on train only and rejects bad rows with reasons', async () => {
    const lines = ['income,segment,default,customer_id'];
    for (let i = 0; i < 2100; i++) {
      const income = i % 17 === 0 ? '' : String(1000 + ((i * 37) % 500));
      lines.push(`${income},${['a', 'b', 'c'][i % 3]},${i % 5 === 0 ? 'Yes' : 'No'},${i}`);
    }
    lines.splice(20, 0, '5,a,,y');
    // past the sniffed sample, which must be clean (two classes, no ragged rows); later rows are rejected one by one
    lines.splice(2040, 0, '5,a,Maybe,x');
    lines.splice(2050, 0, '5,a');
    const data = await prepareTrainingData(fromText(lines.join('\n')), parseDatasetConfig({ target: 'default', positive_class: 'Yes' }));
    expect(data.positiveClass).toBe('Yes');
    expect(data.report.rows).toBe(2100);
    expect(data.report.positives).toBe(420);
    expect(data.report.rejectedCount).toBe(3);
    expect(data.report.rejected).toEqual([
      { line: 21, reason: 'missing target "default"' },
      { line: 2041, reason: 'target "default" is "Maybe", expected "Yes" or "No"' },
      { line: 2051, reason: 'has 2 fields but the header has 4' },
    ]);
    expect(data.dropped).toContainEqual({ name: 'customer_id', reason: 'id-like' });
    const [income] = data.specs;
    if (income.kind !== 'numeric') throw new Error('income should be numeric');
    expect(income.fill).toBe(income.mean);
    // Fitted on the train split: its encoded column (missing → the mean) averages to the fitted mean,
    // which is not the mean over all rows.
    const width = encodedWidth(data.specs);
    let sum = 0;
    for (let i = 0; i < data.train.n; i++) sum += data.train.X[i * width];
    expect(sum / data.train.n).toBeCloseTo(income.mean, 2);
    expect(income.mean).not.toBeCloseTo(data.report.columns[0].mean!, 4);
    expect(data.report.columns.find((c) => c.name === 'income')!.missing).toBe(124);
  });

  it('fails clearly when a class is absent from the whole file', async () => {
    const text = ['x,isFraud', ...Array.from({ length: 50 }, (_, i) => `${i % 7},0`)].join('\n');
    await expect(prepareTrainingData(fromText(text), parseDatasetConfig({}))).rejects.toThrow(/"isFraud" is "0" in all 50 rows/);
    const two = ['x,isFraud', ...Array.from({ length: 50 }, (_, i) => `${i % 7},${i < 2 ? 1 : 0}`)].join('\n');
    await expect(prepareTrainingData(fromText(two), parseDatasetConfig({}))).rejects.toThrow(/at least 3 of each/);
    await expect(prepareTrainingData(fromText('x,isFraud\n'), parseDatasetConfig({}))).rejects.toBeInstanceOf(MloopError);
  });
});
