import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { parquetBytesSource, parquetFileSource, parquetLayout, parquetRows, readParquet, STOP_PARQUET } from '../../../../shared/data/parquet';

const write = (columnData: ColumnSource[], rowGroupSize?: number) => new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize }));

const table = (n: number) =>
  write(
    [
      { name: 'age', data: Int32Array.from({ length: n }, (_, i) => 20 + (i % 50)), type: 'INT32', nullable: false },
      { name: 'income', data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i * 1.5)), type: 'DOUBLE' },
      { name: 'plan', data: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : ['basic', 'pro', 'team'][i % 3])), type: 'STRING' },
      { name: 'active', data: Array.from({ length: n }, (_, i) => i % 2 === 0), type: 'BOOLEAN' },
      { name: 'big', data: Array.from({ length: n }, (_, i) => BigInt(i) * 1000n), type: 'INT64' },
      { name: 'seen', data: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1) + i * 60_000)), type: 'TIMESTAMP' },
    ],
    40,
  );

describe('parquetLayout', () => {
  it('gives each column a kind from the declared type, and the row groups', async () => {
    const layout = await parquetLayout(parquetBytesSource(table(100)));
    expect(layout.fields.map((f) => [f.name, f.kind])).toEqual([
      ['age', 'number'],
      ['income', 'number'],
      ['plan', 'string'],
      ['active', 'boolean'],
      ['big', 'number'],
      ['seen', 'time'],
    ]);
    expect(layout.fields[0].nullable).toBe(false);
    expect(layout.rows).toBe(100);
    expect(layout.rowGroups).toEqual([40, 40, 20]);
  });

  it('refuses a file that is not Parquet, naming why', async () => {
    await expect(parquetLayout(parquetBytesSource(Buffer.from('age,income\n1,2\n3,4\n')))).rejects.toThrow(/not a Parquet file.*PAR1/);
  });

  it('refuses a truncated file as truncated', async () => {
    const bytes = table(100);
    await expect(parquetLayout(parquetBytesSource(bytes.subarray(0, bytes.length - 30)))).rejects.toThrow(/truncated/);
  });

  it('refuses a list column, naming it', async () => {
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'x', data: [1, 2] },
          { name: 'tags', data: [['a'], ['b', 'c']] },
        ],
        schema: [
          { name: 'root', num_children: 2 },
          { name: 'x', type: 'INT32', repetition_type: 'REQUIRED' },
          { name: 'tags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        ],
      }),
    );
    await expect(parquetLayout(parquetBytesSource(bytes))).rejects.toThrow(/column "tags" is a list/);
  });
});

describe('readParquet', () => {
  it('hands over one row group at a time with typed cells; missing numbers NaN, other missing values null', async () => {
    const groups: Array<{ rowStart: number; rows: number }> = [];
    const all = await parquetRows(parquetBytesSource(table(100)));
    await readParquet(parquetBytesSource(table(100)), (g) => {
      groups.push({ rowStart: g.rowStart, rows: g.rows });
    });
    expect(groups).toEqual([
      { rowStart: 0, rows: 40 },
      { rowStart: 40, rows: 40 },
      { rowStart: 80, rows: 20 },
    ]);
    expect(all.rows).toHaveLength(100);
    expect(all.rows[0]).toEqual([20, NaN, null, true, 0, Date.UTC(2024, 0, 1)]);
    expect(all.rows[43]).toEqual([63, 64.5, 'pro', false, 43000, Date.UTC(2024, 0, 1) + 43 * 60_000]);
    expect(all.rows[77]).toEqual([47, NaN, null, false, 77000, Date.UTC(2024, 0, 1) + 77 * 60_000]);
  });

  it('reads 64-bit integers as Number(bigint) gives them, to the extremes, with and without nulls', async () => {
    const edges = [0n, -1n, 1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n + 7n, 2n ** 53n + 1n, -(2n ** 53n) - 3n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n];
    const n = 300;
    const value = (i: number) => edges[i % edges.length] + BigInt(i) * 1_000_003n;
    const bytes = write([
      { name: 'required', data: BigInt64Array.from({ length: n }, (_, i) => BigInt.asIntN(64, value(i))), type: 'INT64', nullable: false },
      // nullable, but the first pages without a null, which are read as a required column's
      { name: 'some_null', data: Array.from({ length: n }, (_, i) => (i > 250 && i % 5 === 0 ? null : BigInt.asIntN(64, value(i)))), type: 'INT64' },
    ], 100);
    const { rows } = await parquetRows(parquetBytesSource(bytes));
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: n }, (_, i) => Number(BigInt.asIntN(64, value(i)))));
    expect(rows.map((r) => r[1])).toEqual(Array.from({ length: n }, (_, i) => (i > 250 && i % 5 === 0 ? NaN : Number(BigInt.asIntN(64, value(i))))));
  });

  it('reads only the asked columns, in the asked order, and stops when told', async () => {
    const seen: unknown[][] = [];
    const { rows } = await readParquet(
      parquetBytesSource(table(100)),
      (g) => {
        for (let r = 0; r < g.rows; r++) seen.push(g.columns.map((c) => c[r]));
        return STOP_PARQUET;
      },
      { columns: ['plan', 'age'] },
    );
    expect(rows).toBe(40);
    expect(seen[1]).toEqual(['pro', 21]);
  });

  it('reads a file from disk by range', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mloop-parquet-'));
    try {
      const path = join(dir, 'd.parquet');
      writeFileSync(path, table(100));
      const { rows } = await parquetRows(await parquetFileSource(path));
      expect(rows[99][0]).toBe(20 + (99 % 50));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names an unknown column', async () => {
    await expect(readParquet(parquetBytesSource(table(10)), () => undefined, { columns: ['nope'] })).rejects.toThrow(/no column "nope"/);
  });
});
