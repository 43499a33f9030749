import { parquetWriteBuffer } from 'hyparquet-writer';
import { STOP } from '../../../shared/data/csv';
import { parquetBytesSource } from '../../../shared/data/parquet/source';
import { fieldNumber } from '../../../shared/data/record_cells';
import { readTable } from '../../../shared/data/table';

const part = (name: string, values: number[], column = 'x') => ({
  name,
  open: async () => parquetBytesSource(new Uint8Array(parquetWriteBuffer({ columnData: [{ name: column, data: values, type: 'DOUBLE' }] }))),
});

describe('a table in Parquet parts', () => {
  it('reads the parts in order as one table: one header, lines numbered on across the parts', async () => {
    const headers: string[][] = [];
    const seen: Array<[number, number]> = [];
    const result = await readTable(
      { parts: [part('a', [1, 2, 3]), part('b', [4, 5]), part('c', [6])] },
      (h) => headers.push(h),
      (rec) => {
        seen.push([rec.line, fieldNumber(rec, 0)]);
        return rec.line === 5 ? 'odd one' : undefined;
      },
    );
    expect(headers).toEqual([['x']]);
    expect(seen).toEqual([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6]]);
    expect(result).toMatchObject({ header: ['x'], read: 6, rows: 5, rejectedCount: 1, rejected: [{ line: 5, reason: 'odd one' }], declared: ['numeric'] });
  });

  it('stops where the reader says, and refuses a part of other columns, naming it', async () => {
    let count = 0;
    await readTable({ parts: [part('a', [1, 2]), part('b', [3, 4])] }, () => undefined, () => (++count === 3 ? STOP : undefined));
    expect(count).toBe(3);
    await expect(readTable({ parts: [part('a', [1]), part('b', [2], 'y')] }, () => undefined, () => undefined)).rejects.toThrow(/part b's columns \(y\) are not a's \(x\)/);
  });
});
