import { MloopError } from '../core/errors';
import { MAX_REJECTED, STOP, type RecordHandler, type Rejection } from './csv';
import type { CsvRecord } from './csv_scan';
import type { ParquetSource } from './parquet/source';
import type { TableReadResult } from './table';

/**
 * A table in part files that cannot be joined byte by byte (Parquet: each part has its own footer), read
 * as one table: the parts in order, one header (every part's must be the first's, with the same declared
 * kinds), and record lines numbered on across the parts, so a line still names one row of the whole.
 */
export interface TablePart {
  name: string;
  open: () => Promise<ParquetSource>;
}

export interface TableParts {
  parts: readonly TablePart[];
}

export const isTableParts = (input: unknown): input is TableParts => typeof input === 'object' && input !== null && Array.isArray((input as TableParts).parts);

type ReadOne = (input: ParquetSource, onHeader: (header: string[]) => void, onRecord: RecordHandler) => Promise<TableReadResult>;

export async function readTableParts(table: TableParts, onHeader: (header: string[]) => void, onRecord: RecordHandler, readOne: ReadOne): Promise<TableReadResult> {
  let first: { name: string; header: string[]; declared?: TableReadResult['declared'] } | null = null;
  let offset = 0;
  let stopped = false;
  const total: TableReadResult = { header: [], read: 0, rows: 0, rejected: [], rejectedCount: 0 };
  for (const part of table.parts) {
    let inner: CsvRecord | null = null;
    let shifted: CsvRecord | null = null;
    const base = offset;
    const result = await readOne(
      await part.open(),
      (header) => {
        if (!first) {
          first = { name: part.name, header };
          onHeader(header);
        } else if (header.join('\u0000') !== first.header.join('\u0000')) {
          throw new MloopError('invalid_argument', `part ${part.name}'s columns (${header.join(',')}) are not ${first.name}'s (${first.header.join(',')}); every part of a dataset has the same columns`);
        }
      },
      (record) => {
        // the reader reuses one record object: one view of it per part, its line moved on by the rows before
        if (record !== inner) {
          inner = record;
          shifted = Object.create(record, { line: { get: () => record.line + base } }) as CsvRecord;
        }
        const outcome = onRecord(shifted!);
        if (outcome === STOP) stopped = true;
        return outcome;
      },
    );
    const firstPart = first as { name: string; header: string[]; declared?: TableReadResult['declared'] } | null;
    if (firstPart && firstPart.name === part.name) firstPart.declared = result.declared;
    else if (firstPart && result.declared && firstPart.declared) {
      const differs = result.declared.findIndex((kind, i) => kind !== firstPart.declared![i]);
      if (differs >= 0) throw new MloopError('invalid_argument', `part ${part.name}'s column ${firstPart.header[differs]} is ${result.declared[differs]}, ${firstPart.name}'s is ${firstPart.declared[differs]}; every part of a dataset has the same column types`);
    }
    total.read += result.read;
    total.rows += result.rows;
    total.rejectedCount += result.rejectedCount;
    const room = MAX_REJECTED - total.rejected.length;
    if (room > 0) total.rejected.push(...result.rejected.slice(0, room).map((r: Rejection) => ({ ...r, line: r.line + base })));
    offset += result.read;
    if (stopped) break;
  }
  const done = first as { header: string[]; declared?: TableReadResult['declared'] } | null;
  return { ...total, header: done?.header ?? [], ...(done?.declared ? { declared: done.declared } : {}) };
}
