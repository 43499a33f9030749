import { isMissing, parseTime } from './values';
import type { Trimmed } from './record_cells';

/**
 * A record's cells when they come typed (a Parquet row group's columns) instead of as CSV bytes:
 * record_cells reads these first, so every consumer of records (profiling, the column store, the
 * holdout, drift, feedback) takes Parquet rows as they are. A number is used as the number it is, not
 * printed and parsed; a string is a category by its type, even when it is all digits ("02139"). Text is
 * made only where a consumer asks for it, and a string's bytes once per distinct string.
 */
/** A Uint8Array is a string's UTF-8 bytes, left undecoded (Parquet's rawStrings). */
export type TypedCell = number | string | boolean | null | Uint8Array;
export const TEXT = 0;
export const NUMBER = 1;
export const BOOLEAN = 2;
/** Milliseconds since the epoch; as text, ISO 8601. */
export const TIME = 3;

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const utf8 = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');

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
  columns: ArrayLike<TypedCell>[] = [];
  private scratch = Buffer.alloc(256);
  private readonly bytes = new Map<string, Buffer>();

  constructor(readonly kinds: Uint8Array) {}

  cell(i: number): TypedCell {
    return this.columns[i][this.row];
  }

  text(i: number): string {
    const v = this.cell(i);
    // A null number is NaN in a Float64Array column.
    if (v === null || v === undefined || v !== v) return '';
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return utf8(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (this.kinds[i] === TIME) return Number.isFinite(v) ? new Date(v).toISOString() : '';
    return String(v);
  }

  number(i: number): number {
    const v = this.cell(i);
    return typeof v === 'number' && Number.isFinite(v) && this.kinds[i] !== TIME ? v : NaN;
  }

  time(i: number): number {
    const v = this.cell(i);
    if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
    if (v instanceof Uint8Array) return parseTime(utf8(v));
    return typeof v === 'string' ? parseTime(v) : NaN;
  }

  missing(i: number): boolean {
    const v = this.cell(i);
    if (v === null || v === undefined) return true;
    if (typeof v === 'number') return v !== v;
    if (v instanceof Uint8Array) {
      // Longer than "null" with no space at either end cannot be a missing-value word.
      const n = v.length;
      if (n > 4 && !isSpace(v[0]) && !isSpace(v[n - 1])) return false;
      return isMissing(utf8(v));
    }
    return typeof v === 'string' && isMissing(v);
  }

  /** The trimmed text as bytes, as dictionaries key it; valid until the next call. */
  key(i: number, out: Trimmed): Trimmed {
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
    if (v instanceof Uint8Array) {
      let s = 0;
      let e = v.length;
      while (s < e && isSpace(v[s])) s++;
      while (e > s && isSpace(v[e - 1])) e--;
      if (s < e && (v[s] >= 0x80 || v[e - 1] >= 0x80)) {
        const b = Buffer.from(utf8(v).trim(), 'utf8');
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
