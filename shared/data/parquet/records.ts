import { MloopError } from '../../core/errors';
import { MAX_REJECTED, STOP, type CsvReadResult, type RecordHandler, type Rejection } from '../csv';
import type { CsvRecord } from '../csv_scan';
import { BOOLEAN, NUMBER, TEXT, TIME, TypedCells, type TypedCell } from '../typed_cells';
import type { ByteColumn } from './flat_column';
import { readParquet, STOP_PARQUET } from './read';
import { mloopKind, parquetLayout, type ParquetKind } from './schema';
import type { ParquetSource } from './source';

/**
 * A Parquet file read as readCsv reads a CSV, so every consumer of records takes it unchanged: one
 * record per row, row group by row group, its cells typed (typed_cells.ts) rather than bytes. A row's
 * "line" is its 1-based row number, which is what a rejection names.
 */
export type DeclaredKind = ReturnType<typeof mloopKind>;

export interface ParquetReadResult extends CsvReadResult {
  /** Per column, in header order: the kind the file's types declare. */
  declared: DeclaredKind[];
}

const CELL_KIND: Record<ParquetKind, number> = { number: NUMBER, string: TEXT, boolean: BOOLEAN, time: TIME };
const EMPTY = Buffer.alloc(0);

export async function readParquetRecords(
  source: ParquetSource,
  onHeader: (header: string[]) => void,
  onRecord: RecordHandler,
): Promise<ParquetReadResult> {
  const layout = await parquetLayout(source);
  const header = layout.fields.map((f) => f.name);
  const empty = header.findIndex((name) => name.trim() === '');
  if (empty >= 0) throw new MloopError('invalid_argument', `column ${empty + 1} of the Parquet schema has an empty name`);
  onHeader(header);
  const typed = new TypedCells(Uint8Array.from(layout.fields, (f) => CELL_KIND[f.kind]));
  const width = header.length;
  const rec = { buf: EMPTY, starts: new Int32Array(width), ends: new Int32Array(width), flags: new Uint8Array(width), count: width, line: 0, utf8: true, typed };
  const record = rec as CsvRecord;
  let rows = 0;
  let rejectedCount = 0;
  const rejected: Rejection[] = [];
  let stopped = false;
  await readParquet(
    source,
    (group) => {
      // rawStrings: string columns are ByteColumns, which TypedCells reads as bytes
      typed.setColumns(group.columns as unknown as Array<ArrayLike<TypedCell> | ByteColumn>);
      for (let r = 0; r < group.rows; r++) {
        typed.row = r;
        rec.line = group.rowStart + r + 1;
        const outcome = onRecord(record);
        if (outcome === STOP) {
          stopped = true;
          return STOP_PARQUET;
        }
        if (typeof outcome === 'string') {
          rejectedCount++;
          if (rejected.length < MAX_REJECTED) rejected.push({ line: rec.line, reason: outcome });
        } else rows++;
      }
      typed.setColumns([]);
    },
    // a record's cells are read while it is handled; whoever keeps a value copies it
    { layout, rawStrings: true, reuseColumns: true },
  );
  return { header, read: stopped ? rows + rejectedCount : layout.rows, rows, rejected, rejectedCount, declared: layout.fields.map((f) => mloopKind(f.kind)) };
}
