import { MloopError } from '../core/errors';
import { fieldMissing, fieldText, fieldTime } from './record_cells';
import type { Rejection } from './csv';
import type { DeclaredKind } from './parquet/records';
import { readTable, type TableInput } from './table';
import { ColumnProfiler, type ColumnProfile, type TargetLines } from './column_profiler';

/**
 * The validation pass over a whole CSV: every column profiled, rows that cannot be used rejected with
 * their line and a reason. Its memory does not depend on the number of rows, so the upload function
 * can run it on any file. The training pass repeats these row checks and so rejects the same rows.
 */
export interface DatasetProfile {
  header: string[];
  /** Data records in the file. */
  read: number;
  /** Rows that passed the row checks (shape, UTF-8, a target, a time). */
  accepted: number;
  rejected: Rejection[];
  rejectedCount: number;
  /** In header order; the columns' statistics cover the accepted rows. */
  columns: ColumnProfile[];
  targetLines: TargetLines;
  /** Parquet only: per column, the kind its declared type gives. */
  declared?: DeclaredKind[];
}

export interface ProfileOptions {
  target: string;
  timeColumn?: string;
}

export const missingTarget = (target: string) => `missing target "${target}"`;
export const badTime = (column: string, cell: string) =>
  cell.trim() === '' ? `missing time "${column}"` : `time "${column}" is "${cell.trim()}", neither a number nor a date`;

/** The header must name the target and the time column: said before a byte of data is read. */
function checkColumns(header: string[], opts: ProfileOptions): void {
  const must = (name: string, what: string, how: string) => {
    if (header.includes(name)) return;
    const near = header.find((h) => h.toLowerCase() === name.toLowerCase());
    const hint = near ? ` Did you mean "${near}"?` : '';
    throw new MloopError('invalid_argument', `${what} column "${name}" is not in the file (columns: ${header.join(', ')}).${hint} ${how}`, { columns: header });
  };
  must(opts.target, 'target', 'Set "target" in mloop.json or pass --target.');
  if (opts.timeColumn !== undefined) {
    must(opts.timeColumn, 'time', 'Set "time_column" in mloop.json to one of them.');
    if (opts.timeColumn === opts.target) throw new MloopError('invalid_argument', `time_column "${opts.timeColumn}" is the target`);
  }
}

export async function profileCsv(stream: TableInput, opts: ProfileOptions): Promise<DatasetProfile> {
  let profilers: ColumnProfiler[] = [];
  let target!: ColumnProfiler;
  let timeIndex = -1;
  let accepted = 0;
  const result = await readTable(
    stream,
    (header) => {
      checkColumns(header, opts);
      profilers = header.map((name, index) => new ColumnProfiler(name, index, name === opts.target));
      target = profilers[header.indexOf(opts.target)];
      if (opts.timeColumn !== undefined) timeIndex = header.indexOf(opts.timeColumn);
    },
    (rec) => {
      if (fieldMissing(rec, target.index)) return missingTarget(opts.target);
      if (timeIndex >= 0 && Number.isNaN(fieldTime(rec, timeIndex))) return badTime(opts.timeColumn!, fieldText(rec, timeIndex));
      for (let k = 0; k < profilers.length; k++) profilers[k].add(rec, rec.line);
      accepted++;
    },
  );
  return {
    header: result.header,
    read: result.read,
    accepted,
    rejected: result.rejected,
    rejectedCount: result.rejectedCount,
    columns: profilers.map((p) => p.profile()),
    targetLines: target.targetLines(),
    ...(result.declared ? { declared: result.declared } : {}),
  };
}
