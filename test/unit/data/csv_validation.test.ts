import { parseDatasetConfig } from '../../../shared/pipeline/dataset_config';
import { prepareTrainingData } from '../../../shared/data/prepare';
import { validateCsv } from '../../../shared/data/csv_validation';
import { streamOf } from '../../support/data_helpers';

/** 300 rows with a numeric, a categorical, a boolean and an id column, and bad rows at known lines. */
function file(): Buffer {
  const lines = ['amount,city,vip,user_id,label'];
  for (let i = 0; i < 300; i++) {
    const amount = i === 40 ? 'n/a?' : i % 10 === 0 ? '' : String(i * 1.5);
    lines.push(`${amount},${['Oslo', 'Lima', 'Pune'][i % 3]},${i % 4 === 0 ? 'Y' : 'N'},u${i},${i % 3 === 0 ? 'churn' : 'stay'}`);
  }
  lines.splice(11, 0, '1,Oslo,N,x');
  lines.splice(21, 0, '2,Lima,N,u-a,');
  lines.splice(31, 0, '3,Pune,N,u-b,maybe');
  const text = Buffer.from(`${lines.join('\r\n')}\r\n`);
  const at = text.indexOf('u77,');
  // a Latin-1 byte in row "u77": not UTF-8
  return Buffer.concat([text.subarray(0, at), Buffer.from([0x75, 0xe9]), text.subarray(at + 3)]);
}

const cfg = parseDatasetConfig({ target: 'label', positive_class: 'churn' });

describe('validateCsv', () => {
  it('reports rows read, rejected rows by line with reasons, and the task', async () => {
    const { report } = await validateCsv(streamOf(file(), 7), cfg);
    expect(report).toMatchObject({
      rows_read: 303,
      rows: 299,
      rejected_count: 4,
      task: 'binary',
      target: 'label',
      classes: ['stay', 'churn'],
      class_counts: { stay: 199, churn: 100 },
    });
    expect(report.rejected).toEqual([
      { line: 12, reason: 'has 4 fields but the header has 5' },
      { line: 22, reason: 'missing target "label"' },
      { line: 32, reason: 'target "label" is "maybe", expected "churn" or "stay"' },
      { line: 82, reason: 'field "user_id" is not valid UTF-8; save the file as UTF-8' },
    ]);
  });

  it('describes every column: kind, missing, distinct values, numeric range, invalid values, frequent values', async () => {
    const { report } = await validateCsv(streamOf(file()), cfg);
    const column = (name: string) => report.columns.find((c) => c.name === name)!;
    expect(column('amount')).toMatchObject({ kind: 'numeric', missing: 29, invalid: 1, first_invalid: { line: 45, value: 'n/a?' }, min: 1.5, max: 448.5 });
    // over the rows kept by the row checks: the "maybe" row is in, the Latin-1 row is not
    expect(column('amount').mean).toBeCloseTo(224.583, 3);
    expect(column('city')).toMatchObject({ kind: 'categorical', missing: 0, unique: 3, top: [{ value: 'Lima', count: 100 }, { value: 'Oslo', count: 100 }, { value: 'Pune', count: 100 }] });
    expect(column('vip')).toMatchObject({ kind: 'boolean', unique: 2 });
    expect(column('user_id')).toMatchObject({ kind: 'dropped', reason: 'id-like', unique: 300 });
    expect(column('label')).toMatchObject({ kind: 'dropped', reason: 'target', top: [{ value: 'stay', count: 199 }, { value: 'churn', count: 100 }, { value: 'maybe', count: 1 }] });
  });

  it('rejects the same rows as the training pass', async () => {
    const { report } = await validateCsv(streamOf(file()), cfg);
    const data = await prepareTrainingData(async () => streamOf(file(), 11), cfg);
    expect(data.report.rejected).toEqual(report.rejected);
    expect([data.report.rejectedCount, data.report.rows]).toEqual([report.rejected_count, report.rows]);
  });

  it('keeps the first 100 rejections of every kind, in line order', async () => {
    const lines = ['x,y'];
    for (let i = 0; i < 400; i++) lines.push(i % 2 ? `${i},${i % 3 ? 'b' : 'a'}` : i % 4 ? `${i}` : `${i},c`);
    const { report } = await validateCsv(streamOf(lines.join('\n')), parseDatasetConfig({ target: 'y', positive_class: 'a' }));
    expect(report.rejected_count).toBe(200);
    expect(report.rejected).toHaveLength(100);
    expect(report.rejected.map((r) => r.line)).toEqual(Array.from({ length: 100 }, (_, k) => 2 + 2 * k));
    expect(report.rejected.slice(0, 2)).toEqual([
      { line: 2, reason: 'target "y" is "c", expected "a" or "b"' },
      { line: 4, reason: 'has 1 fields but the header has 2' },
    ]);
  });

  it('names the rejected rows when they explain why the file cannot be trained on', async () => {
    await expect(validateCsv(streamOf('amount,isFraud\n1,0\n2\n3,0\n'), parseDatasetConfig({}))).rejects.toThrow(
      /"1" never occurs \(1 row was rejected; first: line 3: has 1 fields but the header has 2\)/,
    );
    await expect(validateCsv(streamOf('amount,isFraud\n1\n2\n'), parseDatasetConfig({}))).rejects.toThrow(/no usable rows: all 2 data rows were rejected/);
    await expect(validateCsv(streamOf('amount,isFraud\n'), parseDatasetConfig({}))).rejects.toThrow(/header but no data rows/);
  });
});
