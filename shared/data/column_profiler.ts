import { ByteDictionary } from './byte_dictionary';
import { NumberDictionary } from './number_dictionary';
import { fieldKey, fieldMissing, fieldNumber, fieldText, type Trimmed } from './record_cells';
import type { CsvRecord } from './csv_scan';
import { grown } from './grown';

/**
 * What one streaming pass learns about a column, in memory that does not grow with the file: counts,
 * numeric moments, and the distinct values with their counts up to DISTINCT_CAP. Schema inference, task
 * detection and the validation report are all decided from this, over the whole file rather than a
 * sample of its first rows, which a file sorted by date or by class would fool.
 */
const DISTINCT_CAP = 10_000;
/** Line numbers kept per reason, as many as a report shows. */
const MAX_LINES = 100;

export interface DistinctValue {
  value: string;
  count: number;
}

export interface ColumnProfile {
  name: string;
  index: number;
  present: number;
  missing: number;
  /** Present cells that read as a finite number. */
  numeric: number;
  /** Present cells that do not, with the first of them. */
  nonNumeric: number;
  firstNonNumeric: { line: number; value: string } | null;
  integers: boolean;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Exact while `capped` is false; otherwise a lower bound. */
  distinct: number;
  capped: boolean;
  /** Present cells seen when the distinct values reached the cap: how fast new values kept coming. */
  presentAtCap: number;
  /** Every distinct value (below the cap) or the counted ones (at it), most frequent first. */
  values: DistinctValue[];
}

/** For the target: where each kind of value occurs, so that rejections decided after the pass name their lines. */
export interface TargetLines {
  nonNumeric: Array<{ line: number; value: string }>;
  /** Per distinct value, its first lines. */
  byValue: Map<string, number[]>;
}

export class ColumnProfiler {
  private present = 0;
  private missing = 0;
  private numeric = 0;
  private nonNumeric = 0;
  private firstNonNumeric: ColumnProfile['firstNonNumeric'] = null;
  private integers = true;
  private min = Infinity;
  private max = -Infinity;
  // Welford: money amounts in the millions next to small variances would lose digits with sums of squares
  private mean = 0;
  private m2 = 0;
  private readonly dictionary = new ByteDictionary(DISTINCT_CAP);
  private counts = new Float64Array(64);
  /** Typed numbers (a Parquet column) are counted by value, not by their text: see number_dictionary.ts. */
  private readonly numbers = new NumberDictionary();
  private numberCounts = new Float64Array(64);
  private readonly numberLines: number[][] = [];
  private presentAtCap = 0;
  /** Once a numeric or an id-like column fills the dictionary, counting its values tells nothing more. */
  private counting = true;
  private readonly key: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
  private readonly lines: TargetLines | null;
  private readonly valueLines: number[][] = [];

  constructor(
    readonly name: string,
    readonly index: number,
    trackLines = false,
  ) {
    this.lines = trackLines ? { nonNumeric: [], byValue: new Map() } : null;
  }

  add(rec: CsvRecord, line: number): void {
    const i = this.index;
    const typed = rec.typed;
    if (typed !== undefined) {
      const column = typed.numbers(i);
      if (column !== null) {
        const x = column[typed.row];
        // a non-finite number is present but not numeric: the general path below says so
        if (x - x === 0 || x !== x) return this.addNumber(x, line);
      }
    }
    if (fieldMissing(rec, i)) {
      this.missing++;
      return;
    }
    this.present++;
    const v = fieldNumber(rec, i);
    if (Number.isNaN(v)) {
      this.nonNumeric++;
      if (this.firstNonNumeric === null || (this.lines && this.lines.nonNumeric.length < MAX_LINES)) {
        const value = fieldText(rec, i).trim();
        this.firstNonNumeric ??= { line, value };
        if (this.lines && this.lines.nonNumeric.length < MAX_LINES) this.lines.nonNumeric.push({ line, value });
      }
    } else {
      this.addNumeric(v);
    }
    if (this.counting) this.count(rec, line);
  }

  /** A number's share of the running range, integrality, mean and variance (Welford's update). */
  private addNumeric(v: number): void {
    this.numeric++;
    if (this.integers && !Number.isInteger(v)) this.integers = false;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const d = v - this.mean;
    this.mean += d / this.numeric;
    this.m2 += d * (v - this.mean);
  }

  /** add() of a typed finite number, or NaN for missing: the same counts, with no text made. */
  private addNumber(v: number, line: number): void {
    if (v !== v) {
      this.missing++;
      return;
    }
    this.present++;
    this.addNumeric(v);
    if (!this.counting) return;
    const code = this.numbers.code(v, this.numbers.size + this.dictionary.size < DISTINCT_CAP);
    if (code < 0) return this.reachedCap();
    if (code >= this.numberCounts.length) this.numberCounts = grown(this.numberCounts);
    this.numberCounts[code]++;
    if (this.lines) {
      const lines = (this.numberLines[code] ??= []);
      if (lines.length < MAX_LINES) lines.push(line);
    }
  }

  private reachedCap(): void {
    if (this.presentAtCap !== 0) return;
    this.presentAtCap = this.present;
    const idLike = DISTINCT_CAP / this.present > 0.5;
    if (this.nonNumeric === 0 || idLike) this.counting = false;
  }

  private count(rec: CsvRecord, line: number): void {
    const key = fieldKey(rec, this.index, this.key);
    const code = this.dictionary.code(key.buf, key.start, key.end);
    if (code < 0) return this.reachedCap();
    if (code >= this.counts.length) this.counts = grown(this.counts);
    this.counts[code]++;
    // At most DISTINCT_CAP × MAX_LINES line numbers, and only for the target.
    if (this.lines) {
      const lines = (this.valueLines[code] ??= []);
      if (lines.length < MAX_LINES) lines.push(line);
    }
  }

  /**
   * Every counted value as its text, with its count and lines: a value counted both as bytes and as a
   * typed number (parts of a dataset that disagree on a column's type) is one value.
   */
  private counted(): Map<string, { count: number; lines: number[] }> {
    const out = new Map<string, { count: number; lines: number[] }>();
    const add = (value: string, count: number, lines: number[] | undefined) => {
      const seen = out.get(value);
      if (!seen) out.set(value, { count, lines: lines ?? [] });
      else {
        seen.count += count;
        if (lines) seen.lines = [...seen.lines, ...lines].sort((a, b) => a - b).slice(0, MAX_LINES);
      }
    };
    for (let code = 0; code < this.dictionary.size; code++) add(this.dictionary.text(code), this.counts[code], this.valueLines[code]);
    // String(x) is the text a typed number is keyed by elsewhere (typed_cells.ts)
    for (let code = 0; code < this.numbers.size; code++) add(String(this.numbers.value(code)), this.numberCounts[code], this.numberLines[code]);
    return out;
  }

  profile(): ColumnProfile {
    const values: DistinctValue[] = [];
    for (const [value, { count }] of this.counted()) values.push({ value, count });
    values.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const capped = this.presentAtCap > 0;
    return {
      name: this.name,
      index: this.index,
      present: this.present,
      missing: this.missing,
      numeric: this.numeric,
      nonNumeric: this.nonNumeric,
      firstNonNumeric: this.firstNonNumeric,
      integers: this.integers,
      min: this.numeric > 0 ? this.min : NaN,
      max: this.numeric > 0 ? this.max : NaN,
      mean: this.numeric > 0 ? this.mean : NaN,
      std: this.numeric > 0 ? Math.sqrt(this.m2 / this.numeric) : NaN,
      distinct: values.length,
      capped,
      presentAtCap: this.presentAtCap,
      values,
    };
  }

  targetLines(): TargetLines {
    if (!this.lines) throw new Error(`column "${this.name}" does not track lines`);
    for (const [value, { lines }] of this.counted()) if (lines.length > 0) this.lines.byValue.set(value, lines);
    return this.lines;
  }
}
