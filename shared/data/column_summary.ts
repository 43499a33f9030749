import type { ColumnStore } from './column_store';
import { categoryCell, numericCell, parseBoolean } from './values';

/**
 * A feature column reduced to what profiling and drift tests read: the present numeric values, or the
 * count of each category; plus how many values were missing. The training data and the live traffic
 * both arrive in this shape, read by the same cell rules as the encoder, so a value means the same
 * thing on both sides of a drift test.
 */
export type ColumnData =
  | { kind: 'numeric'; values: Float64Array | Float32Array; missing: number }
  | { kind: 'categorical' | 'boolean'; counts: Map<string, number>; missing: number };

export type ColumnKindOf = ColumnData['kind'];

/** Booleans in any accepted spelling (true/yes/1…) become "true" or "false". */
export function booleanCell(value: unknown): string | null {
  const b = parseBoolean(value);
  return b === null ? null : b === 1 ? 'true' : 'false';
}

/** Builds a ColumnData one value at a time, growing its buffer as a vector would. */
export class ColumnBuilder {
  private values = new Float64Array(1024);
  private length = 0;
  private readonly counts = new Map<string, number>();
  private missing = 0;
  /** whole decoded columns, appended after `values` at build */
  private readonly chunks: Float64Array[] = [];
  private chunked = 0;

  constructor(readonly kind: ColumnKindOf) {}

  add(value: unknown): void {
    if (this.kind === 'numeric') {
      const n = numericCell(value);
      if (n === null) {
        this.missing++;
        return;
      }
      if (this.length === this.values.length) {
        const bigger = new Float64Array(this.values.length * 2);
        bigger.set(this.values);
        this.values = bigger;
      }
      this.values[this.length++] = n;
      return;
    }
    const key = this.kind === 'boolean' ? booleanCell(value) : categoryCell(value);
    if (key === null) this.missing++;
    else this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /**
   * Adds a decoded column's values, those of the rows `keep` marks (all when null); a column no row has
   * (null) adds that many missing values. A column of doubles is copied without a look at each type.
   */
  addColumn(values: ArrayLike<unknown> | null, keep: Uint8Array | null, rows: number): void {
    if (values === null) {
      this.missing += keep ? keep.reduce((sum, k) => sum + k, 0) : rows;
      return;
    }
    if (this.kind === 'numeric' && values instanceof Float64Array) {
      // a whole column of finite numbers is kept as it is and copied once, at build
      let finite = values.length === rows && keep === null;
      for (let i = 0; finite && i < rows; i++) finite = Number.isFinite(values[i]);
      if (finite) {
        // a view into a file's bytes is copied, so the file itself is not kept alive
        this.chunks.push(values.byteLength === values.buffer.byteLength ? values : values.slice());
        this.chunked += rows;
        return;
      }
      for (let i = 0; i < rows; i++) if (!keep || keep[i] === 1) this.add(values[i]);
      return;
    }
    if (this.kind === 'numeric') {
      for (let i = 0; i < rows; i++) if (!keep || keep[i] === 1) this.add(values[i]);
      return;
    }
    // categories repeat: each distinct raw value is read (trimmed, spelled) once, with its count
    const raw = new Map<unknown, number>();
    for (let i = 0; i < rows; i++) {
      if (keep && keep[i] === 0) continue;
      const v = values[i];
      raw.set(v, (raw.get(v) ?? 0) + 1);
    }
    for (const [value, n] of raw) {
      const key = this.kind === 'boolean' ? booleanCell(value) : categoryCell(value);
      if (key === null) this.missing += n;
      else this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    }
  }

  build(): ColumnData {
    if (this.kind === 'numeric') {
      const values = new Float64Array(this.length + this.chunked);
      values.set(this.values.subarray(0, this.length));
      let at = this.length;
      for (const chunk of this.chunks) {
        values.set(chunk, at);
        at += chunk.length;
      }
      return { kind: 'numeric', values, missing: this.missing };
    }
    return { kind: this.kind, counts: new Map(this.counts), missing: this.missing };
  }
}

/**
 * A training pass's stored column, restricted to some rows (the training split), as a ColumnData: what
 * the train job profiles for reference.json.
 */
export function storedColumn(store: ColumnStore, rows: ArrayLike<number>): ColumnData {
  const kind = store.column.kind;
  if (kind === 'numeric') {
    // float32, as the store holds them (float64 would double a column for no digit more); not copied
    // again when nothing is missing: these are the largest arrays at the data's peak but the matrices
    const values = new Float32Array(rows.length);
    let n = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = store.numbers[rows[i]];
      if (!Number.isNaN(v)) values[n++] = v;
    }
    return { kind, values: n === values.length ? values : values.slice(0, n), missing: rows.length - n };
  }
  const tally = new Float64Array(kind === 'categorical' ? store.dictionary.size + 1 : 3);
  for (let i = 0; i < rows.length; i++) tally[kind === 'categorical' ? store.codes[rows[i]] : store.flags[rows[i]]]++;
  const counts = new Map<string, number>();
  if (kind === 'categorical') {
    for (let code = 1; code < tally.length; code++) if (tally[code] > 0) counts.set(store.dictionary.text(code - 1), tally[code]);
    return { kind, counts, missing: tally[0] };
  }
  if (tally[0] > 0) counts.set('false', tally[0]);
  if (tally[1] > 0) counts.set('true', tally[1]);
  return { kind, counts, missing: tally[2] };
}
