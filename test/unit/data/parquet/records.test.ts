import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetBytesSource, parquetFileSource } from '../../../../shared/data/parquet';
import { prepareTrainingData } from '../../../../shared/data/prepare';
import { validateCsv } from '../../../../shared/data/csv_validation';
import { fieldText } from '../../../../shared/data/record_cells';
import { readTable } from '../../../../shared/data/table';
import { writeFraudCsv, writeFraudParquet } from '../../../../shared/data/synthetic';

const cfg = { target: 'isFraud', drop: [] as string[] };

describe('a Parquet dataset through the CSV data path', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mloop-parquet-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a one-value dictionary column (codes of bit width 0) as that value, after columns with codes of their own', async () => {
    // 300 demo rows hold no fraud: isFraud is a dictionary of the single value 0, its codes 0 bits wide
    const csv = join(dir, 'small.csv');
    const parquet = join(dir, 'small.parquet');
    await writeFraudCsv(csv, { rows: 300, seed: 20 });
    await writeFraudParquet(parquet, { rows: 300, seed: 20 });
    const texts = async (input: Parameters<typeof readTable>[0]) => {
      const rows: string[] = [];
      // the text columns and the integers; doubles print differently from their CSV text ("0.00" vs "0")
      await readTable(input, () => undefined, (rec) => void rows.push([0, 1, 3, 6, 9].map((i) => fieldText(rec, i)).join('|')));
      return rows;
    };
    const fromParquet = await texts(await parquetFileSource(parquet));
    expect(fromParquet.map((r) => r.split('|')[4])).toEqual(Array(300).fill('0'));
    expect(fromParquet).toEqual(await texts(createReadStream(csv)));
  });

  it('prepares exactly the matrices the same rows give as CSV', async () => {
    const csv = join(dir, 'fraud.csv');
    const parquet = join(dir, 'fraud.parquet');
    await writeFraudCsv(csv, { rows: 3000, seed: 5 });
    await writeFraudParquet(parquet, { rows: 3000, seed: 5 });
    const a = await prepareTrainingData(async () => createReadStream(csv), cfg);
    const b = await prepareTrainingData(async () => parquetFileSource(parquet), cfg);
    expect(b.specs).toEqual(a.specs);
    expect(b.dropped).toEqual(a.dropped);
    expect(Buffer.from(b.train.X.buffer).equals(Buffer.from(a.train.X.buffer))).toBe(true);
    expect(Buffer.from(b.test.y.buffer).equals(Buffer.from(a.test.y.buffer))).toBe(true);
    // The same values; a CSV spells 790.90 where the double is 790.9.
    const values = (records: Array<Record<string, string>>) => records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)])));
    expect(values(b.test.text.records())).toEqual(values(a.test.text.records()));
    expect(b.report.columns.map((c) => [c.name, c.kind, c.reason])).toEqual(a.report.columns.map((c) => [c.name, c.kind, c.reason]));
  });

  it('takes kinds from the declared types: digit strings stay categories, timestamps are not features, nulls are missing', async () => {
    const n = 400;
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'zip', data: Array.from({ length: n }, (_, i) => ['02139', '10001', '94103'][i % 3]), type: 'STRING' },
          { name: 'x', data: Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : (i * 37) % 101)), type: 'DOUBLE' },
          { name: 'at', data: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1) + i * 3_600_000)), type: 'TIMESTAMP' },
          { name: 'y', data: Array.from({ length: n }, (_, i) => (i % 3 === 0) !== (i % 7 === 0)), type: 'BOOLEAN' },
        ],
      }),
    );
    const { report } = await validateCsv(parquetBytesSource(bytes), { target: 'y', drop: [] });
    const byName = Object.fromEntries(report.columns.map((c) => [c.name, c]));
    expect(byName.zip.kind).toBe('categorical');
    expect(byName.x).toMatchObject({ kind: 'numeric', missing: 40 });
    expect(byName.at).toMatchObject({ kind: 'dropped', reason: 'time' });
    expect(report.task).toBe('binary');
    expect(report.rows).toBe(n);

    const timed = await prepareTrainingData(async () => parquetBytesSource(bytes), { target: 'y', drop: [], time_column: 'at' });
    expect(timed.dropped).toContainEqual({ name: 'at', reason: 'time' });
    // Split by time: the latest rows are the holdout.
    expect(timed.test.n).toBeGreaterThan(0);
  });

  it('profiles typed numbers, counted by value, as the CSV of the same values: distinct counts, top values, classes, rejections', async () => {
    const n = 700;
    const x = (i: number) => (i % 13 === 0 ? null : [0.5, 1.25, -3, 0, 7, 1e-7, 123456.789][i % 7]);
    const k = (i: number) => (i % 11 === 0 ? null : i % 5);
    const wide = (i: number) => i * 1.5;
    const y = (i: number) => (i % 29 === 0 ? null : i % 3 === 0 ? 2 : i % 4 === 0 ? 1 : 0);
    const columns = { x, k, wide, y };
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'x', data: Array.from({ length: n }, (_, i) => x(i)), type: 'DOUBLE' },
          { name: 'k', data: Array.from({ length: n }, (_, i) => k(i)), type: 'INT32' },
          { name: 'wide', data: Array.from({ length: n }, (_, i) => wide(i)), type: 'DOUBLE' },
          { name: 'y', data: Array.from({ length: n }, (_, i) => y(i)), type: 'INT32' },
        ],
      }),
    );
    const text = ['x,k,wide,y', ...Array.from({ length: n }, (_, i) => Object.values(columns).map((f) => String(f(i) ?? '')).join(','))].join('\n');
    const csv = join(dir, 'typed.csv');
    writeFileSync(csv, text);
    const fromParquet = await validateCsv(parquetBytesSource(bytes), { target: 'y', drop: [] });
    const fromCsv = await validateCsv(createReadStream(csv), { target: 'y', drop: [] });
    // a Parquet row's line is its row number; a CSV's counts the header
    const csvLines = (lines: number[]) => lines.map((line) => line + 1);
    expect({ ...fromParquet.report, rejected: fromParquet.report.rejected.map((r) => ({ ...r, line: r.line + 1 })) }).toEqual(fromCsv.report);
    expect(fromParquet.profile.columns).toEqual(fromCsv.profile.columns);
    expect(fromParquet.report.columns.find((c) => c.name === 'x')).toMatchObject({ unique: 7 });
    expect(fromParquet.report.class_counts).toEqual({ 0: expect.any(Number), 1: expect.any(Number), 2: expect.any(Number) });
    expect([...fromParquet.profile.targetLines.byValue].map(([v, lines]) => [v, csvLines(lines)])).toEqual([...fromCsv.profile.targetLines.byValue]);
  });

  it('gives every row group its own values, although the column arrays are reused from group to group', async () => {
    const n = 250;
    const name = (i: number) => (i % 17 === 0 ? null : `name-${i}-${'x'.repeat(i % 40)}`);
    const x = (i: number) => (i % 13 === 0 ? null : i * 0.25);
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'name', data: Array.from({ length: n }, (_, i) => name(i)), type: 'STRING' },
          { name: 'x', data: Array.from({ length: n }, (_, i) => x(i)), type: 'DOUBLE' },
        ],
        // the last group is the smallest, as a file's usually is
        rowGroupSize: 100,
      }),
    );
    const seen: Array<[string, string]> = [];
    await readTable(parquetBytesSource(bytes), () => undefined, (rec) => void seen.push([fieldText(rec, 0), fieldText(rec, 1)]));
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => [name(i) ?? '', x(i) === null ? '' : String(x(i))]));
  });

  it('names a missing target as it does for a CSV', async () => {
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: [1, 2, 3], type: 'INT32' }] }));
    await expect(validateCsv(parquetBytesSource(bytes), { target: 'label', drop: [] })).rejects.toThrow(/target column "label" is not in the file \(columns: a\)/);
  });
});
