import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetHeader } from 'hyparquet/src/column.js';
import { parquetFileSource, parquetLayout, parquetRows } from '../../../../shared/data/parquet';
import { prepareTrainingData, type PreparedData } from '../../../../shared/data/prepare';
import { writeFraudCsv } from '../../../../shared/data/synthetic';
import { rocAuc } from '../../../../shared/ml/metrics';
import { trainTable } from '../../../../shared/ml/models/trainers';
import { ensurePyarrowVenv, pyarrowPython } from '../../../support/pyarrow_venv';

/**
 * Files written by pyarrow (the writer behind pandas, Spark's Python side and most exports), read by
 * mloop: nulls, dictionary-encoded strings, zstd, timestamps, decimals, data pages of version 1 and 2.
 * The same table is also written as CSV by pyarrow, and both must train to the same test AUC. Skipped,
 * saying why, when no pyarrow venv can be made (MLOOP_PYARROW_VENV, MLOOP_WHEELS).
 */
const WRITE = `
import sys, json, decimal
import pyarrow as pa, pyarrow.csv as csv, pyarrow.parquet as pq, pyarrow.compute as pc
src, out = sys.argv[1], sys.argv[2]
t = csv.read_csv(src)
n = t.num_rows
amount = [None if i % 13 == 0 else v for i, v in enumerate(t.column('amount').to_pylist())]
kind = [None if i % 17 == 0 else v for i, v in enumerate(t.column('type').to_pylist())]
t = t.set_column(t.schema.get_field_index('amount'), 'amount', pa.array(amount, pa.float64()))
t = t.set_column(t.schema.get_field_index('type'), 'type', pa.array(kind, pa.string()))
t = t.append_column('at', pa.array([1704067200000000 + i * 60_000_000 for i in range(n)], pa.timestamp('us', tz='UTC')))
t = t.append_column('fee', pa.array([None if v is None else decimal.Decimal(v).quantize(decimal.Decimal('0.01')) / 100 for v in amount], pa.decimal128(12, 4)))
t = t.append_column('day', pa.array([19723 + i // 500 for i in range(n)], pa.date32()))
csv.write_csv(t, out + '/table.csv')
for version in ['1.0', '2.0']:
    pq.write_table(t, f'{out}/table-v{version[0]}.parquet', compression='zstd', use_dictionary=['type', 'nameOrig', 'nameDest'], data_page_version=version, row_group_size=1500)
rows = t.slice(0, 14).to_pylist()
print(json.dumps({'n': n, 'row13': {'amount': rows[13]['amount'], 'fee': None if rows[13]['fee'] is None else float(rows[13]['fee'])}, 'row1': {k: (float(v) if isinstance(v, decimal.Decimal) else str(v) if k in ('at', 'day') else v) for k, v in rows[1].items()}}))
`;

describe('Parquet written by pyarrow', () => {
  let unavailable: string | null = null;
  let dir: string;
  let written: { n: number; row13: { amount: number | null; fee: number | null }; row1: Record<string, unknown> };

  beforeAll(async () => {
    unavailable = ensurePyarrowVenv();
    if (unavailable) {
      console.warn(`skipping the pyarrow checks: ${unavailable}`);
      return;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-pyarrow-'));
    await writeFraudCsv(path.join(dir, 'source.csv'), { rows: 6000, seed: 11 });
    const result = spawnSync(pyarrowPython, ['-c', WRITE, path.join(dir, 'source.csv'), dir], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    written = JSON.parse(result.stdout);
  }, 240_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['v1', 'v2'])('reads the types, codec, page version and values of data pages %s', async (v) => {
    if (unavailable) return;
    const source = await parquetFileSource(path.join(dir, `table-${v}.parquet`));
    const layout = await parquetLayout(source);
    const field = Object.fromEntries(layout.fields.map((f) => [f.name, f]));
    expect(field.at).toMatchObject({ kind: 'time', type: 'TIMESTAMP(MICROS)' });
    expect(field.fee).toMatchObject({ kind: 'number', type: 'DECIMAL(12,4)' });
    expect(field.day).toMatchObject({ kind: 'time', type: 'DATE' });
    expect(field.type).toMatchObject({ kind: 'string', nullable: true });
    expect(field.step.kind).toBe('number');
    const chunk = (name: string) => layout.metadata.row_groups[0].columns[field[name].index].meta_data!;
    expect(chunk('amount').codec).toBe('ZSTD');
    expect(chunk('type').encodings).toContain('RLE_DICTIONARY');
    // The page header itself says which version (pyarrow's encoding stats say DATA_PAGE either way).
    const meta = chunk('amount');
    const start = Number(meta.data_page_offset);
    const reader = { view: new DataView(await source.slice(start, start + 256)), offset: 0 };
    expect(parquetHeader(reader).type).toBe(v === 'v2' ? 'DATA_PAGE_V2' : 'DATA_PAGE');
    expect(layout.rowGroups).toEqual([1500, 1500, 1500, 1500]);

    const { rows } = await parquetRows(source);
    expect(rows).toHaveLength(written.n);
    const cell = (r: number, name: string) => rows[r][field[name].index];
    expect(cell(13, 'amount')).toBeNaN();
    expect(cell(13, 'fee')).toBeNaN();
    expect(cell(0, 'type')).toBeNull();
    expect(cell(1, 'type')).toBe(written.row1.type);
    expect(cell(1, 'amount')).toBe(written.row1.amount);
    expect(cell(1, 'fee')).toBeCloseTo(written.row1.fee as number, 10);
    expect(cell(1, 'at')).toBe(Date.UTC(2024, 0, 1, 0, 1));
    expect(cell(1, 'day')).toBe(Date.UTC(2024, 0, 1));
    expect(cell(1, 'nameOrig')).toBe(written.row1.nameOrig);
  });

  it('trains to the same test AUC as the same table written as CSV', async () => {
    if (unavailable) return;
    const cfg = { target: 'isFraud', drop: [] as string[] };
    const auc = async (data: PreparedData) => {
      const model = await trainTable('gbdt', data, { seed: 3, num_iterations: 60 });
      return rocAuc(data.test.y, model.predict(data.test.X, data.test.n));
    };
    // The one column the two read differently: a CSV's dates are text, which becomes a category; Parquet's are dates, not features.
    const fromCsv = await prepareTrainingData(async () => createReadStream(path.join(dir, 'table.csv')), { ...cfg, drop: ['day'] });
    const scores = [await auc(fromCsv)];
    for (const v of ['v1', 'v2']) {
      const data = await prepareTrainingData(() => parquetFileSource(path.join(dir, `table-${v}.parquet`)), cfg);
      expect(data.specs).toEqual(fromCsv.specs);
      expect(data.dropped).toContainEqual({ name: 'at', reason: 'time' });
      expect(data.dropped).toContainEqual({ name: 'day', reason: 'time' });
      scores.push(await auc(data));
    }
    expect(scores[0]).toBeGreaterThan(0.8);
    expect(scores[1]).toBe(scores[0]);
    expect(scores[2]).toBe(scores[0]);
  }, 240_000);
});
