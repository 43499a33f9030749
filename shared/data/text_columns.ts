import { Utf8List } from './utf8_list';

/**
 * The holdout's cells as the file spells them, column by column: each column's strings as UTF-8 bytes
 * end to end in one buffer, and where each row's ends. A row as an object of strings costs about 25
 * bytes a cell more than its text (a string header and a property each, an object a row): at 6 M rows
 * the holdout's records were 180 MB of heap, a fifth of training's peak; as bytes they are 70 MB.
 * Rows are added in any order of their indices (the holdout is read in file order) and read back by index.
 */
/** Distinct cells of a column that records() shares. */
const MAX_SHARED = 4096;

export class TextColumns {
  /** Per column, the cells in the order their rows were added. */
  private readonly columns: Utf8List[];
  /** A row index → the order it was added in. */
  private readonly added: Uint32Array;
  private count = 0;

  constructor(
    readonly names: readonly string[],
    readonly length: number,
  ) {
    this.columns = names.map(() => new Utf8List(length, 8));
    this.added = new Uint32Array(length);
  }

  /** Records as columns: those of the first record's keys (a record without one of them reads ""). */
  static fromRecords(records: ReadonlyArray<Record<string, string>>): TextColumns {
    const names = Object.keys(records[0] ?? {});
    const text = new TextColumns(names, records.length);
    records.forEach((record, row) => text.add(row, (k) => record[names[k]] ?? ''));
    return text.seal();
  }

  /** Adds row `row`, its cells in the order of `names`. */
  add(row: number, cells: (k: number) => string): void {
    this.added[row] = this.count++;
    for (let k = 0; k < this.names.length; k++) this.columns[k].push(cells(k));
  }

  /** The cell of `row` in column `name`, undefined for a column it does not hold. */
  cell(row: number, name: string): string | undefined {
    const k = this.names.indexOf(name);
    return k < 0 ? undefined : this.text(row, k);
  }

  /** The row as the record the file's header names. */
  record(row: number): Record<string, string> {
    const record: Record<string, string> = {};
    for (let k = 0; k < this.names.length; k++) record[this.names[k]] = this.text(row, k);
    return record;
  }

  /**
   * Every row as a record; a repeated cell (a category, a round amount) is one string shared by its
   * rows, up to MAX_SHARED distinct ones a column, so that the records cost little more than the bytes.
   */
  records(): Array<Record<string, string>> {
    const shared = this.names.map(() => new Map<string, string>());
    return Array.from({ length: this.length }, (_, row) => {
      const record: Record<string, string> = {};
      for (let k = 0; k < this.names.length; k++) {
        const text = this.text(row, k);
        const known = shared[k].get(text);
        if (known === undefined && shared[k].size < MAX_SHARED) shared[k].set(text, text);
        record[this.names[k]] = known ?? text;
      }
      return record;
    });
  }

  /** Trims the buffers to what the rows use, once all are added. */
  seal(): this {
    for (const column of this.columns) column.trim();
    return this;
  }

  private text(row: number, k: number): string {
    return this.columns[k].text(this.added[row]);
  }
}
