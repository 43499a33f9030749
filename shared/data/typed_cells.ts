import { isMissing, parseTime } from './values';
import type { Trimmed } from './record_cells';
import { ByteColumn } from './parquet/flat_column';

/**
 * A record's cells when they come typed (a Parquet row group's columns) instead of as CSV bytes:
 * record_cells reads these first, so every consumer of records (profiling, the column store, the
 * holdout, drift, feedback) takes Parquet rows as they are. A number is used as the number it is, not
 * printed and parsed; a string is a category by its type, even when it is all digits ("02139"). Text is
 * made only where a consumer asks for it, and a string's bytes once per distinct string.
 */
export type TypedCell = number | string | boolean | null;
export const TEXT = 0;
export const NUMBER = 1;
export const BOOLEAN = 2;
/** Milliseconds since the epoch; as text, ISO 8601. */
export const TIME = 3;

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const utf8 = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');

/** isMissing on a string's bytes, as record_cells' fieldMissing reads a CSV field's: "", NA, NaN, null. */
function missingBytes(v: Uint8Array, start: number, end: number): boolean {
  let s = start;
  let e = end;
  while (s < e && isSpace(v[s])) s++;
  while (e > s && isSpace(v[e - 1])) e--;
  if (s === e) return true;
  if (v[s] >= 0x80 || v[e - 1] >= 0x80) return isMissing(utf8(v.subarray(s, e)));
  const n = e - s;
  if (n < 2 || n > 4) return false;
  const a = v[s] | 0x20;
  const b = v[s + 1] | 0x20;
  if (n === 2) return a === 0x6e && b === 0x61;
  const c = v[s + 2] | 0x20;
  if (n === 3) return a === 0x6e && b === 0x61 && c === 0x6e;
  return a === 0x6e && b === 0x75 && c === 0x6c && (v[s + 3] | 0x20) === 0x6c;
}

const SMALL_INTEGERS = 1 << 16;
const SMALL: Buffer[] = [];

/** String(v)'s bytes for a safe integer v; the scratch holds any (at most 17 bytes). */
function writeInteger(buf: Buffer, v: number): number {
  let n = 0;
  if (v < 0) {
    buf[n++] = 0x2d;
    v = -v;
  }
  const first = n;
  do {
    buf[n++] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  for (let a = first, b = n - 1; a < b; a++, b--) {
    const t = buf[a];
    buf[a] = buf[b];
    buf[b] = t;
  }
  return n;
}

export class TypedCells {
  row = 0;
  private columns: ArrayLike<TypedCell>[] = [];
  /** Per column, the column when it is a Float64Array (numbers and times, NaN for missing): read without checking each cell's type. */
  private floats: Array<Float64Array | null> = [];
  /** Per column, the column when it holds numbers (not times) as a Float64Array. */
  private numeric: Array<Float64Array | null> = [];
  /** Per column, the column when it is strings left as bytes. */
  private strings: Array<ByteColumn | null> = [];
  private scratch = Buffer.alloc(256);
  private readonly bytes = new Map<string, Buffer>();

  constructor(readonly kinds: Uint8Array) {}

  setColumns(columns: Array<ArrayLike<TypedCell> | ByteColumn>): void {
    this.columns = columns as ArrayLike<TypedCell>[];
    this.floats = columns.map((c) => (c instanceof Float64Array ? c : null));
    this.numeric = this.floats.map((c, i) => (this.kinds[i] === NUMBER ? c : null));
    this.strings = columns.map((c) => (c instanceof ByteColumn ? c : null));
  }

  /**
   * Column i when it is numbers in a Float64Array (NaN for missing), else null: for a reader that takes
   * the value at `row` as it is, with no text to key it by.
   */
  numbers(i: number): Float64Array | null {
    return this.numeric[i] ?? null;
  }

  /** A byte column's value r as a string; '' when missing. */
  private stringAt(b: ByteColumn): string {
    const s = b.starts[this.row];
    return s < 0 ? '' : Buffer.from(b.bytes.buffer, b.bytes.byteOffset + s, b.ends[this.row] - s).toString('utf8');
  }

  cell(i: number): TypedCell {
    const b = this.strings[i];
    if (b) return b.starts[this.row] < 0 ? null : this.stringAt(b);
    return this.columns[i][this.row];
  }

  text(i: number): string {
    const f = this.floats[i];
    if (f) {
      const x = f[this.row];
      if (x - x !== 0) return '';
      return this.kinds[i] === TIME ? new Date(x).toISOString() : String(x);
    }
    const v = this.cell(i);
    // A null number is NaN in a Float64Array column.
    if (v === null || v === undefined || v !== v) return '';
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (this.kinds[i] === TIME) return Number.isFinite(v) ? new Date(v).toISOString() : '';
    return String(v);
  }

  number(i: number): number {
    const f = this.floats[i];
    if (f) {
      const x = f[this.row];
      // finite, and not a time (which a CSV would spell as a date)
      return x - x === 0 && this.kinds[i] !== TIME ? x : NaN;
    }
    // A string is never a number here, whatever its digits: its column's type says so.
    if (this.strings[i]) return NaN;
    const v = this.cell(i);
    return typeof v === 'number' && Number.isFinite(v) && this.kinds[i] !== TIME ? v : NaN;
  }

  time(i: number): number {
    const f = this.floats[i];
    if (f) {
      const x = f[this.row];
      return x - x === 0 ? x : NaN;
    }
    const v = this.cell(i);
    if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
    return typeof v === 'string' ? parseTime(v) : NaN;
  }

  missing(i: number): boolean {
    const f = this.floats[i];
    if (f) return f[this.row] !== f[this.row];
    const b = this.strings[i];
    if (b) {
      const s = b.starts[this.row];
      return s < 0 || missingBytes(b.bytes, s, b.ends[this.row]);
    }
    const v = this.cell(i);
    if (v === null || v === undefined) return true;
    if (typeof v === 'number') return v !== v;
    return typeof v === 'string' && isMissing(v);
  }

  /** The trimmed text as bytes, as dictionaries key it; valid until the next call. */
  key(i: number, out: Trimmed): Trimmed {
    const f = this.floats[i];
    if (f) {
      const x = f[this.row];
      if (x >= 0 && x < SMALL_INTEGERS && (x | 0) === x && this.kinds[i] !== TIME) {
        // Counted numeric columns are mostly small integers (ages, counts, flags): their digits once each.
        const digits = (SMALL[x] ??= Buffer.from(String(x), 'latin1'));
        out.buf = digits;
        out.start = 0;
        out.end = digits.length;
        return out;
      }
      if (Number.isSafeInteger(x) && this.kinds[i] !== TIME) {
        out.buf = this.scratch;
        out.start = 0;
        out.end = writeInteger(this.scratch, x);
        return out;
      }
    }
    const col = this.strings[i];
    if (col) {
      let s = col.starts[this.row];
      let e = col.ends[this.row];
      const v = col.bytes;
      if (s < 0) s = e = 0;
      while (s < e && isSpace(v[s])) s++;
      while (e > s && isSpace(v[e - 1])) e--;
      if (s < e && (v[s] >= 0x80 || v[e - 1] >= 0x80)) {
        const b = Buffer.from(this.stringAt(col).trim(), 'utf8');
        out.buf = b;
        out.start = 0;
        out.end = b.length;
        return out;
      }
      out.buf = v;
      out.start = s;
      out.end = e;
      return out;
    }
    const v = this.cell(i);
    if (typeof v === 'string') {
      let b = this.bytes.get(v);
      if (b === undefined) {
        b = Buffer.from(v.trim(), 'utf8');
        // Dictionary-encoded columns repeat a few strings; an id-like column would grow this without end.
        if (this.bytes.size >= 100_000) this.bytes.clear();
        this.bytes.set(v, b);
      }
      out.buf = b;
      out.start = 0;
      out.end = b.length;
      return out;
    }
    out.buf = this.scratch;
    out.start = 0;
    // Integers, the common case of a counted numeric column, as digits without making a string.
    if (typeof v === 'number' && Number.isSafeInteger(v) && this.kinds[i] !== TIME) {
      out.end = writeInteger(this.scratch, v);
      return out;
    }
    const text = this.text(i);
    if (text.length * 3 > this.scratch.length) out.buf = this.scratch = Buffer.alloc(text.length * 3);
    out.end = this.scratch.write(text, 0, 'utf8');
    return out;
  }
}
