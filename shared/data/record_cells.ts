import { ESCAPED, type CsvRecord } from './csv_scan';
import { isMissing, parseNumber, parseTime } from './values';

/**
 * values.ts read straight from a record's bytes. Each function gives exactly what its string twin gives
 * on the decoded field (or, for a typed record, on its typed cell: typed_cells.ts): the common shapes (plain decimals, ASCII padding) are handled on the bytes, and
 * anything else (Unicode spaces, hex, doubled quotes) falls back to decoding, so that a value never
 * means one thing in training and another at scoring.
 */

// Exactly representable; a product or quotient of two exact doubles is correctly rounded (Clinger's fast path).
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const MAX_EXACT_DIGITS = 15;

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

export function fieldText(rec: CsvRecord, i: number): string {
  if (rec.typed !== undefined) return rec.typed.text(i);
  const text = rec.buf.toString('utf8', rec.starts[i], rec.ends[i]);
  return rec.flags[i] & ESCAPED ? text.replaceAll('""', '"') : text;
}

/** parseNumber of the field: NaN when missing or not a finite number. */
export function fieldNumber(rec: CsvRecord, i: number): number {
  if (rec.typed !== undefined) return rec.typed.number(i);
  const buf = rec.buf;
  let s = rec.starts[i];
  let e = rec.ends[i];
  while (s < e && isSpace(buf[s])) s++;
  while (e > s && isSpace(buf[e - 1])) e--;
  if (s === e) return NaN;
  if (rec.flags[i] & ESCAPED) return parseNumber(fieldText(rec, i));
  let k = s;
  let c = buf[k];
  const negative = c === 0x2d;
  if (negative || c === 0x2b) k++;
  // Only a digit or a point can start a finite number ("Infinity" is not finite): text fails here, undecoded.
  c = buf[k];
  if (k < e && c < 0x80 && c !== 0x2e && (c < 0x30 || c > 0x39)) return NaN;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  while (k < e && (c = buf[k] - 0x30) >= 0 && c <= 9) {
    mantissa = mantissa * 10 + c;
    digits++;
    k++;
  }
  if (k < e && buf[k] === 0x2e) {
    k++;
    while (k < e && (c = buf[k] - 0x30) >= 0 && c <= 9) {
      mantissa = mantissa * 10 + c;
      digits++;
      fraction++;
      k++;
    }
  }
  let exponent = 0;
  if (k < e && (buf[k] | 0x20) === 0x65 && digits > 0) {
    k++;
    let sign = 1;
    if (k < e && (buf[k] === 0x2d || buf[k] === 0x2b)) sign = buf[k++] === 0x2d ? -1 : 1;
    const first = k;
    while (k < e && (c = buf[k] - 0x30) >= 0 && c <= 9 && exponent < 1000) {
      exponent = exponent * 10 + c;
      k++;
    }
    if (k === first) k = -1;
    exponent *= sign;
  }
  const power = exponent - fraction;
  if (k !== e || digits === 0 || digits > MAX_EXACT_DIGITS || power > 22 || power < -22) {
    return parseNumber(fieldText(rec, i));
  }
  const value = power === 0 ? mantissa : power > 0 ? mantissa * POW10[power] : mantissa / POW10[-power];
  return negative ? -value : value;
}

/** parseTime of the field; numbers stay on the fast path. */
export function fieldTime(rec: CsvRecord, i: number): number {
  if (rec.typed !== undefined) return rec.typed.time(i);
  const n = fieldNumber(rec, i);
  return Number.isNaN(n) ? parseTime(fieldText(rec, i)) : n;
}

/** isMissing of the field. */
export function fieldMissing(rec: CsvRecord, i: number): boolean {
  if (rec.typed !== undefined) return rec.typed.missing(i);
  const buf = rec.buf;
  let s = rec.starts[i];
  let e = rec.ends[i];
  while (s < e && isSpace(buf[s])) s++;
  while (e > s && isSpace(buf[e - 1])) e--;
  if (s === e) return true;
  if (buf[s] >= 0x80 || buf[e - 1] >= 0x80 || rec.flags[i] & ESCAPED) return isMissing(fieldText(rec, i));
  const n = e - s;
  if (n < 2 || n > 4) return false;
  const a = buf[s] | 0x20;
  const b = buf[s + 1] | 0x20;
  if (n === 2) return a === 0x6e && b === 0x61;
  const c = buf[s + 2] | 0x20;
  if (n === 3) return a === 0x6e && b === 0x61 && c === 0x6e;
  return a === 0x6e && b === 0x75 && c === 0x6c && (buf[s + 3] | 0x20) === 0x6c;
}

/**
 * The field's trimmed value as bytes [start, end) of `buf`, the key under which dictionaries store it.
 * Bytes the ASCII trim cannot settle are decoded, trimmed as a string and encoded again.
 */
export interface Trimmed {
  buf: Uint8Array;
  start: number;
  end: number;
}

export function fieldKey(rec: CsvRecord, i: number, out: Trimmed): Trimmed {
  if (rec.typed !== undefined) return rec.typed.key(i, out);
  const buf = rec.buf;
  let s = rec.starts[i];
  let e = rec.ends[i];
  while (s < e && isSpace(buf[s])) s++;
  while (e > s && isSpace(buf[e - 1])) e--;
  if (s < e && (buf[s] >= 0x80 || buf[e - 1] >= 0x80 || rec.flags[i] & ESCAPED)) {
    const bytes = Buffer.from(fieldText(rec, i).trim(), 'utf8');
    out.buf = bytes;
    out.start = 0;
    out.end = bytes.length;
    return out;
  }
  out.buf = buf;
  out.start = s;
  out.end = e;
  return out;
}
