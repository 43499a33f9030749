import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { writeFlatParquet, writeFlatParquetYielding, type FlatColumn } from '../../../../shared/data/parquet/flat_writer';
import { Utf8List } from '../../../../shared/data/utf8_list';
import { ensurePyarrowVenv, pyarrowPython } from '../../../support/pyarrow_venv';

const ROWS = 300;
const ids = Array.from({ length: ROWS }, (_, i) => `req-${Math.floor(i / 100)}`);
const names = Array.from({ length: ROWS }, (_, i) => `C${1_000_000 + i * 7919}`);
const columns: FlatColumn[] = [
  { name: 'request_id', type: 'STRING', values: ids, nullable: false },
  { name: 'index', type: 'INT32', values: Int32Array.from({ length: ROWS }, (_, i) => (i % 100) - 5), nullable: false },
  { name: 'amount', type: 'DOUBLE', values: Array.from({ length: ROWS }, (_, i) => i * 1.25 - 3e-9), nullable: false },
  { name: 'sparse', type: 'DOUBLE', values: Array.from({ length: ROWS }, (_, i) => (i % 3 === 0 ? null : i)), nullable: true },
  { name: 'kind', type: 'STRING', values: Array.from({ length: ROWS }, (_, i) => (i % 7 === 0 ? null : ['PAYMENT', 'CASH_OUT', 'dé✓'][i % 3])), nullable: true },
  { name: 'name', type: 'STRING', values: names, nullable: false },
  { name: 'flag', type: 'BOOLEAN', values: Array.from({ length: ROWS }, (_, i) => i % 5 === 0), nullable: false },
  { name: 'top_k', type: 'JSON', values: Array.from({ length: ROWS }, (_, i) => (i % 2 ? [{ label: 'oak', score: i / ROWS }] : null)), nullable: true },
  // more than 15 columns: the footer's lists take the long header
  ...Array.from({ length: 12 }, (_, k): FlatColumn => ({ name: `extra_${k}`, type: 'DOUBLE', values: new Array(ROWS).fill(k), nullable: false })),
];
const expected = (row: number) => Object.fromEntries(columns.map((c) => [c.name, c.values[row] === undefined ? null : c.values[row]]));

const arrayBufferOf = (bytes: Buffer) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

describe('a flat Parquet file in one pass', () => {
  const bytes = writeFlatParquet(columns, ROWS, { 'mloop.test': '{"a":1}' });

  it('reads back value for value, with its key-value metadata, in hyparquet', async () => {
    const file = arrayBufferOf(bytes);
    const metadata = parquetMetadata(file);
    expect(Number(metadata.num_rows)).toBe(ROWS);
    expect(metadata.key_value_metadata).toEqual([{ key: 'mloop.test', value: '{"a":1}' }]);
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(ROWS);
    for (const row of [0, 1, 2, 7, 99, 100, 101, ROWS - 1]) expect(rows[row]).toEqual(expected(row));
  });

  it('dictionary-encodes strings that repeat and writes the others plainly', () => {
    const chunks = parquetMetadata(arrayBufferOf(bytes)).row_groups[0].columns;
    const encodings = (name: string) => chunks.find((c) => c.meta_data?.path_in_schema[0] === name)!.meta_data!.encodings;
    expect(encodings('request_id')).toContain('RLE_DICTIONARY');
    expect(encodings('kind')).toContain('RLE_DICTIONARY');
    expect(encodings('name')).not.toContain('RLE_DICTIONARY');
  });

  it('copies typed arrays as they are, with their nulls and dictionaries', async () => {
    const defined = Uint8Array.from({ length: ROWS }, (_, i) => (i % 4 === 0 ? 0 : 1));
    const typedColumns: FlatColumn[] = [
      { name: 'x', type: 'DOUBLE', values: Float64Array.from({ length: ROWS + 10 }, (_, i) => i / 3), nullable: false },
      { name: 'y', type: 'DOUBLE', values: Float64Array.from({ length: ROWS }, (_, i) => -i), defined, nullable: true },
      { name: 'i', type: 'INT32', values: Int32Array.from({ length: ROWS }, (_, i) => i - 7), nullable: false },
      { name: 'few', type: 'STRING', values: Int32Array.from({ length: ROWS }, (_, i) => i % 3), dictionary: ['a', 'b', 'ç'], defined, nullable: true },
      { name: 'many', type: 'STRING', values: Int32Array.from({ length: ROWS }, (_, i) => i), dictionary: names, nullable: false },
    ];
    const rows = await parquetReadObjects({ file: arrayBufferOf(writeFlatParquet(typedColumns, ROWS)) });
    expect(rows).toHaveLength(ROWS);
    rows.forEach((row, i) => expect(row).toEqual({ x: i / 3, y: i % 4 ? -i : null, i: i - 7, few: i % 4 ? ['a', 'b', 'ç'][i % 3] : null, many: names[i] }));
  });

  it('writes the same bytes a column per turn of the event loop, letting other work run between columns', async () => {
    let done = false;
    // a request arriving during the encoding: answered before the file is done
    const answeredBeforeDone = new Promise<boolean>((resolve) => setImmediate(() => resolve(!done)));
    const yielded = await writeFlatParquetYielding(columns, ROWS, { 'mloop.test': '{"a":1}' });
    done = true;
    expect(yielded.equals(bytes)).toBe(true);
    expect(await answeredBeforeDone).toBe(true);
  });

  it("takes an earlier file's memory when handed it, and the new file reads right past the old one's bytes", async () => {
    const first = await writeFlatParquetYielding(columns, ROWS);
    const fewer: FlatColumn[] = [{ name: 'only', type: 'DOUBLE', values: Float64Array.from({ length: 10 }, (_, i) => i + 0.5), nullable: false }];
    const second = await writeFlatParquetYielding(fewer, 10, {}, first);
    expect(second.buffer).toBe(first.buffer);
    expect(await parquetReadObjects({ file: arrayBufferOf(second) })).toEqual(Array.from({ length: 10 }, (_, i) => ({ only: i + 0.5 })));
    // a Buffer that may be a slice of Node's shared pool is not taken: the pool's other bytes are other buffers'
    const pool = new ArrayBuffer(Buffer.poolSize);
    const pooled = Buffer.from(pool, 0, 8);
    const neighbour = Buffer.from(pool, 5_000, 9);
    neighbour.write('neighbour');
    const fromPooled = await writeFlatParquetYielding(fewer, 10, {}, pooled);
    expect(fromPooled.buffer).not.toBe(pool);
    expect(neighbour.toString()).toBe('neighbour');
    // larger than the memory handed: grown, and still right
    const wide = Array.from({ length: 40 }, (_, k): FlatColumn => ({ name: `c${k}`, type: 'DOUBLE', values: Float64Array.from({ length: 5_000 }, (_, i) => i * k), nullable: false }));
    const third = await writeFlatParquetYielding(wide, 5_000, {}, second);
    expect(third.buffer).not.toBe(second.buffer);
    const rows = await parquetReadObjects({ file: arrayBufferOf(third) });
    expect(rows[4_999]).toEqual(Object.fromEntries(wide.map((_, k) => [`c${k}`, 4_999 * k])));
  });

  it('writes texts kept as UTF-8 bytes (a Utf8List) as they are, plainly or as a dictionary', async () => {
    const ids = new Utf8List(8);
    for (let i = 0; i < ROWS; i++) ids.push(`req-${i}-ç✓`);
    const few = new Utf8List(2);
    for (const text of ['a', 'dé', '']) few.push(text);
    const listColumns: FlatColumn[] = [
      { name: 'unique', type: 'STRING', values: Int32Array.from({ length: ROWS }, (_, i) => i), dictionary: ids, nullable: false },
      { name: 'repeated', type: 'STRING', values: Int32Array.from({ length: ROWS }, (_, i) => i % 3), dictionary: few, nullable: false },
    ];
    const file = arrayBufferOf(writeFlatParquet(listColumns, ROWS));
    const encodings = (name: string) => parquetMetadata(file).row_groups[0].columns.find((c) => c.meta_data?.path_in_schema[0] === name)!.meta_data!.encodings;
    expect(encodings('unique')).not.toContain('RLE_DICTIONARY');
    expect(encodings('repeated')).toContain('RLE_DICTIONARY');
    const rows = await parquetReadObjects({ file });
    rows.forEach((row, i) => expect(row).toEqual({ unique: `req-${i}-ç✓`, repeated: ['a', 'dé', ''][i % 3] }));
  });

  it('writes an empty file that still reads', async () => {
    const empty = writeFlatParquet([{ name: 'a', type: 'DOUBLE', values: [], nullable: true }], 0);
    expect(await parquetReadObjects({ file: arrayBufferOf(empty) })).toEqual([]);
  });

  it('is read by pyarrow, the reference implementation, with the same types and values', () => {
    const why = ensurePyarrowVenv();
    if (why) {
      console.warn(`pyarrow check skipped: ${why}`);
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-flat-parquet-'));
    try {
      const file = path.join(dir, 'batch.parquet');
      fs.writeFileSync(file, bytes);
      const script = [
        'import json, sys, pyarrow.parquet as pq',
        'table = pq.read_table(sys.argv[1])',
        'rows = table.to_pylist()',
        'print(json.dumps({"types": {f.name: str(f.type) for f in table.schema}, "rows": [rows[i] for i in (0, 1, 7, 101)], "n": table.num_rows}))',
      ].join('\n');
      const result = spawnSync(pyarrowPython, ['-c', script, file], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      const read = JSON.parse(result.stdout) as { types: Record<string, string>; rows: Array<Record<string, unknown>>; n: number };
      expect(read.n).toBe(ROWS);
      expect(read.types).toMatchObject({ request_id: 'string', index: 'int32', amount: 'double', sparse: 'double', kind: 'string', name: 'string', flag: 'bool' });
      // pyarrow keeps a JSON column as its text
      const asPyarrow = (row: number) => ({ ...expected(row), top_k: row % 2 ? JSON.stringify(columns[7].values[row]) : null });
      expect(read.rows.map((r) => ({ ...r, top_k: r.top_k === null ? null : JSON.stringify(JSON.parse(r.top_k as string)) }))).toEqual([0, 1, 7, 101].map(asPyarrow));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
