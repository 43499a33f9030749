import { parquetRead, type ParquetParsers } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { MloopError } from '../../core/errors';
import { parquetLayout, type ParquetField, type ParquetLayout } from './schema';
import type { ParquetSource } from './source';

/**
 * Reading a Parquet dataset row group by row group: only one group's decoded columns are alive at a
 * time, so memory is bounded by the largest row group, not the file. Every codec (snappy, gzip, zstd,
 * brotli, lz4) and both data page versions, through hyparquet and its compressors (pure JavaScript:
 * nothing native for the Cloud Functions and job images to build).
 */

/** null for a missing value; a time is milliseconds since the epoch (UTC). */
export type ParquetCell = number | string | boolean | null;

export interface ParquetRowGroup {
  /** The group's first row in the file, 0-based. */
  rowStart: number;
  rows: number;
  /** One array per requested field, in `fields` order, each `rows` long. */
  columns: ArrayLike<ParquetCell>[];
  fields: ParquetField[];
}

/** Returned by a row-group handler to stop reading. */
export const STOP_PARQUET = Symbol('stop');

export interface ReadParquetOptions {
  /** Read only these columns (by name), in this order; all when absent. */
  columns?: string[];
  /** The footer, when the caller has read it already. */
  layout?: ParquetLayout;
}

// Times as plain numbers: a Date per cell costs an allocation and is turned back into a number anyway.
const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days * 86_400_000,
};

/** hyparquet's INT64 columns come as bigint; mloop's values are doubles (exact below 2^53). */
function cells(data: ArrayLike<unknown>): ArrayLike<ParquetCell> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data as ArrayLike<bigint>, Number);
  if (ArrayBuffer.isView(data)) return data as unknown as ArrayLike<number>;
  const arr = data as unknown[];
  let out: ParquetCell[] | null = null;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v === 'bigint' || v === undefined || v instanceof Date) {
      out ??= arr.slice() as ParquetCell[];
      out[i] = typeof v === 'bigint' ? Number(v) : v === undefined ? null : v.getTime();
    }
  }
  return out ?? (arr as ParquetCell[]);
}

function concatChunks(pieces: Array<{ start: number; data: ArrayLike<unknown> }>, rows: number): ArrayLike<ParquetCell> {
  if (pieces.length === 1 && pieces[0].data.length === rows) return cells(pieces[0].data);
  const out = new Array<ParquetCell>(rows).fill(null);
  for (const { start, data } of pieces) {
    const c = cells(data);
    for (let i = 0; i < c.length && start + i < rows; i++) out[start + i] = c[i];
  }
  return out;
}

const damaged = (err: unknown) =>
  err instanceof MloopError ? err : new MloopError('invalid_argument', `the Parquet file cannot be decoded (truncated or damaged): ${(err as Error).message}`);

/**
 * Calls onRowGroup for each row group in file order, awaiting it before the next group is read.
 * Resolves to the number of rows handed over.
 */
export async function readParquet(
  source: ParquetSource,
  onRowGroup: (group: ParquetRowGroup) => void | typeof STOP_PARQUET | Promise<void | typeof STOP_PARQUET>,
  opts: ReadParquetOptions = {},
): Promise<{ rows: number; layout: ParquetLayout }> {
  const layout = opts.layout ?? (await parquetLayout(source));
  const byName = new Map(layout.fields.map((f) => [f.name, f]));
  const fields = (opts.columns ?? layout.fields.map((f) => f.name)).map((name) => {
    const f = byName.get(name);
    if (!f) throw new MloopError('invalid_argument', `the Parquet file has no column "${name}"`);
    return f;
  });
  const slot = new Map(fields.map((f, k) => [f.name, k]));
  let rowStart = 0;
  let handed = 0;
  for (const rows of layout.rowGroups) {
    const pieces = fields.map(() => [] as Array<{ start: number; data: ArrayLike<unknown> }>);
    const groupStart = rowStart;
    try {
      await parquetRead({
        file: source,
        metadata: layout.metadata,
        columns: fields.map((f) => f.name),
        rowStart: groupStart,
        rowEnd: groupStart + rows,
        compressors,
        parsers: PARSERS,
        onChunk: (chunk) => {
          const k = slot.get(chunk.columnName);
          if (k !== undefined) pieces[k].push({ start: chunk.rowStart - groupStart, data: chunk.columnData as ArrayLike<unknown> });
        },
      });
    } catch (err) {
      throw damaged(err);
    }
    rowStart += rows;
    if (rows === 0) continue;
    const columns = pieces.map((p) => concatChunks(p, rows));
    handed += rows;
    if ((await onRowGroup({ rowStart: groupStart, rows, columns, fields })) === STOP_PARQUET) break;
  }
  return { rows: handed, layout };
}

/** Row by row over readParquet, for small files and tests: each row is its cells in field order. */
export async function parquetRows(source: ParquetSource, opts: ReadParquetOptions = {}): Promise<{ fields: ParquetField[]; rows: ParquetCell[][] }> {
  const rows: ParquetCell[][] = [];
  let fields: ParquetField[] = [];
  await readParquet(
    source,
    (g) => {
      fields = g.fields;
      for (let r = 0; r < g.rows; r++) rows.push(g.columns.map((c) => c[r]));
    },
    opts,
  );
  if (fields.length === 0) fields = (opts.layout ?? (await parquetLayout(source))).fields;
  return { fields, rows };
}
