import { isMissing } from '../../../shared/data/values';
import type { Trimmed } from '../../../shared/data/record_cells';
import { NUMBER, TEXT, TIME, TypedCells } from '../../../shared/data/typed_cells';
import { ByteColumn } from '../../../shared/data/parquet/flat_column';

/** The words as a byte column, back to back. */
function byteColumn(words: string[]): ByteColumn {
  const parts = words.map((w) => Buffer.from(w, 'utf8'));
  const starts = new Int32Array(words.length);
  const ends = new Int32Array(words.length);
  let at = 0;
  parts.forEach((p, i) => {
    starts[i] = at;
    ends[i] = at += p.length;
  });
  return new ByteColumn(Buffer.concat(parts), starts, ends);
}

/** Typed cells read as record_cells reads the same text in a CSV field. */
describe('TypedCells', () => {
  const words = ['', ' ', 'NA', 'na', ' nan ', 'NULL', 'null', 'none', 'n/a', 'rent', 'Café', ' x ', 'nan1', 'NaN'];
  const cells = new TypedCells(Uint8Array.from([TEXT, TEXT, NUMBER, TIME]));
  cells.setColumns([words, byteColumn(words), Float64Array.from([1.5, NaN, -20, 0]), Float64Array.from([Date.UTC(2024, 0, 1), NaN, 0, 0])]);

  it('says missing exactly as isMissing does, for strings and for their bytes', () => {
    words.forEach((w, row) => {
      cells.row = row;
      expect([cells.missing(0), cells.missing(1)]).toEqual([isMissing(w), isMissing(w)]);
    });
  });

  it('keys a string by its trimmed bytes, a number by its digits, and reads times', () => {
    const out: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
    const bytes = (k: Trimmed) => Buffer.from(k.buf.subarray(k.start, k.end)).toString('utf8');
    cells.row = 11;
    expect([bytes(cells.key(0, out)), bytes(cells.key(1, out))]).toEqual(['x', 'x']);
    cells.row = 2;
    expect(bytes(cells.key(2, out))).toBe('-20');
    cells.row = 0;
    expect(bytes(cells.key(2, out))).toBe('1.5');
    expect([cells.number(2), cells.number(3), cells.time(3), cells.text(3)]).toEqual([1.5, NaN, Date.UTC(2024, 0, 1), '2024-01-01T00:00:00.000Z']);
    cells.row = 1;
    expect([cells.missing(2), cells.text(2), cells.missing(3)]).toEqual([true, '', true]);
  });
});
