import { ByteDictionary } from './byte_dictionary';
import { fieldKey, fieldMissing, fieldNumber, fieldText, type Trimmed } from './record_cells';
import type { CsvRecord } from './csv_scan';
import type { TrainingColumn } from './encoding';
import type { ColumnSchema } from './schema';
import { readFeature } from './values';

/**
 * The kept feature columns of the training pass, one typed array each, written by slot (a row's place
 * in the possibly sampled data) straight from the record's bytes: Float32 values for numbers (NaN for
 * missing), Uint16 dictionary codes for categories (0 for missing), 0/1/2 flags for booleans (2 for
 * missing). Float32 is what the model reads anyway, and half of Float64. Each cell reads as readFeature
 * reads it at scoring: numbers by fieldNumber (parseNumber on the bytes), categories by their trimmed
 * bytes (categoryCell), booleans by readFeature itself, once per spelling.
 */
const MAX_CODES = 65_535;
const MISSING_FLAG = 2;
/** Stray words of a numeric column remembered for scoring; a column with more is messier than any manifest should list. */
export const MAX_MISSING_WORDS = 20;
const MAX_WORD_CHARS = 64;

export class ColumnStore {
  readonly numbers: Float32Array;
  readonly codes: Uint16Array;
  readonly flags: Uint8Array;
  readonly dictionary: ByteDictionary;
  /** Per dictionary code of a boolean column, its flag. */
  private readonly flagOf: number[] = [];
  private readonly key: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
  /** A numeric column's non-numbers, which training reads as missing. */
  private readonly words = new Set<string>();

  constructor(
    readonly column: ColumnSchema & { kind: 'numeric' | 'categorical' | 'boolean' },
    rows: number,
  ) {
    const kind = column.kind;
    this.numbers = new Float32Array(kind === 'numeric' ? rows : 0);
    this.codes = new Uint16Array(kind === 'categorical' ? rows : 0);
    this.flags = new Uint8Array(kind === 'boolean' ? rows : 0);
    // Values past this many distinct ones encode as unknown, which the top-50 vocabulary makes them anyway.
    this.dictionary = new ByteDictionary(kind === 'categorical' ? MAX_CODES : Infinity);
  }

  write(rec: CsvRecord, slot: number): void {
    const i = this.column.index;
    if (this.column.kind === 'numeric') {
      const v = fieldNumber(rec, i);
      this.numbers[slot] = v;
      if (v !== v && this.words.size < MAX_MISSING_WORDS && !fieldMissing(rec, i)) {
        const word = fieldText(rec, i).trim();
        if (word.length <= MAX_WORD_CHARS) this.words.add(word);
      }
      return;
    }
    if (fieldMissing(rec, i)) {
      if (this.column.kind === 'categorical') this.codes[slot] = 0;
      else this.flags[slot] = MISSING_FLAG;
      return;
    }
    const key = fieldKey(rec, i, this.key);
    const code = this.dictionary.code(key.buf, key.start, key.end);
    if (this.column.kind === 'categorical') {
      this.codes[slot] = code + 1;
      return;
    }
    let flag = this.flagOf[code];
    if (flag === undefined) {
      const read = readFeature('boolean', this.dictionary.text(code));
      flag = read === 0 || read === 1 ? read : MISSING_FLAG;
      this.flagOf[code] = flag;
    }
    this.flags[slot] = flag;
  }

  /** The column as the feature specs are fitted on. */
  training(): TrainingColumn {
    const kind = this.column.kind;
    if (kind === 'numeric') return { kind, values: this.numbers, words: [...this.words].sort() };
    if (kind === 'categorical') return { kind, codes: this.codes, dictionary: Array.from({ length: this.dictionary.size }, (_, c) => this.dictionary.text(c)) };
    return { kind };
  }
}
