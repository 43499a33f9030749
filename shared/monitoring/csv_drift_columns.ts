import { MloopError } from '../core/errors';
import { fieldMissing, fieldNumber, fieldText } from '../data/record_cells';
import type { Rejection } from '../data/csv';
import { readTable, type TableInput } from '../data/table';
import { ColumnBuilder, type ColumnData } from '../data/column_summary';

/**
 * Two CSV (or Parquet) files as drift columns, for `mloop drift compare`: a column is numeric when every present
 * value of the reference parses as a number, categorical otherwise; the current file is read with the
 * reference's kinds. Columns that look like identifiers (mostly distinct strings) would always "drift"
 * and say nothing about the data, so they are left out and named.
 */
export interface CsvColumns {
  rows: number;
  columns: Array<{ name: string } & ColumnData>;
  /** Lines left out (ragged, not UTF-8): how many, and the first ones with why. */
  rejectedCount: number;
  rejected: Rejection[];
}

export interface ColumnPlan {
  columns: Array<{ name: string; kind: 'numeric' | 'categorical' }>;
  skipped: Record<string, string>;
}

const ID_LIKE_UNIQUE = 100;

/** First pass over the reference: which columns are numeric, which look like ids. */
export async function planColumns(reference: TableInput): Promise<ColumnPlan> {
  let header: string[] = [];
  let numeric: boolean[] = [];
  let distinct: Array<Set<string>> = [];
  let present: number[] = [];
  await readTable(
    reference,
    (h) => {
      header = h;
      numeric = h.map(() => true);
      distinct = h.map(() => new Set<string>());
      present = h.map(() => 0);
    },
    (record) => {
      for (let i = 0; i < header.length; i++) {
        if (fieldMissing(record, i)) continue;
        present[i]++;
        if (numeric[i] && Number.isNaN(fieldNumber(record, i))) numeric[i] = false;
        // Capped: past this many distinct values the id-like verdict cannot change, and memory stays bounded.
        if (distinct[i].size <= 100_000) distinct[i].add(fieldText(record, i).trim());
      }
    },
  );
  const plan: ColumnPlan = { columns: [], skipped: {} };
  header.forEach((name, i) => {
    const unique = distinct[i].size;
    if (present[i] === 0) plan.skipped[name] = 'empty';
    else if (!numeric[i] && unique > ID_LIKE_UNIQUE && unique > present[i] / 2) plan.skipped[name] = `id-like (${unique} distinct values in ${present[i]} rows)`;
    else plan.columns.push({ name, kind: numeric[i] ? 'numeric' : 'categorical' });
  });
  return plan;
}

/**
 * Second pass (over either file): the planned columns, by the planned kinds. A planned column missing
 * from the file is an error: its values would all count as missing, and the report would blame the data
 * for what is a mix-up of files.
 */
export async function readColumns(stream: TableInput, plan: ColumnPlan): Promise<CsvColumns> {
  let indices: number[] = [];
  const builders = plan.columns.map((c) => new ColumnBuilder(c.kind));
  const read = await readTable(
    stream,
    (header) => {
      indices = plan.columns.map((c) => header.indexOf(c.name));
      const missing = plan.columns.filter((_, k) => indices[k] < 0).map((c) => `"${c.name}"`);
      if (missing.length) {
        throw new MloopError(
          'invalid_argument',
          `the reference's column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in this header (${header.join(', ')}); compare two files with the same columns`,
          { line: 1 },
        );
      }
    },
    (record) => {
      for (let k = 0; k < builders.length; k++) builders[k].add(fieldText(record, indices[k]));
    },
  );
  return {
    rows: read.rows,
    columns: plan.columns.map((c, k) => ({ name: c.name, ...builders[k].build() })),
    rejectedCount: read.rejectedCount,
    rejected: read.rejected,
  };
}
