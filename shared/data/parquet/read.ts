import { parquetRead, parquetSchema, type ParquetParsers } from 'hyparquet';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import type { ColumnDecoder } from 'hyparquet/src/types.js';
import { compressors as jsCompressors } from 'hyparquet-compressors';
import { ZSTDDecoder } from 'zstddec';
import { MloopError } from '../../core/errors';
import { asFloat64, ColumnBuffers, decodeFlatChunk, toCells, type ByteColumn } from './flat_column';
import { parquetLayout, type ParquetField, type ParquetLayout } from './schema';
import type { ParquetSource } from './source';

/**
 * Reading a Parquet dataset row group by row group: only one group's decoded columns are alive at a
 * time, so memory is bounded by the largest row group, not the file. Every codec (snappy, gzip, zstd,
 * brotli, lz4) and both data page versions, through hyparquet and its compressors (pure JavaScript:
 * nothing native for the Cloud Functions and job images to build).
 */

/**
 * A time is milliseconds since the epoch (UTC). A column of numbers or times is a Float64Array where a
 * missing value is NaN; in other columns a missing value is null.
 */
export type ParquetCell = number | string | boolean | null;

export interface ParquetRowGroup {
  /** The group's first row in the file, 0-based. */
  rowStart: number;
  rows: number;
  /** One array per requested field, in `fields` order, each `rows` long (with rawStrings, a string column is a ByteColumn). */
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
  /** String columns as their UTF-8 bytes (a ByteColumn), undecoded: for readers that key by bytes. */
  rawStrings?: boolean;
  /**
   * A group's column arrays are reused for the next group: for a handler that is done with a group's
   * columns when it returns (it copies what it keeps).
   */
  reuseColumns?: boolean;
}

// Times as plain numbers: a Date per cell costs an allocation and is turned back into a number anyway.
const PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days * 86_400_000,
};

function concatChunks(pieces: Array<{ start: number; data: ArrayLike<unknown> }>, rows: number): ArrayLike<ParquetCell> {
  if (pieces.length === 1 && pieces[0].data.length === rows) return toCells(pieces[0].data);
  const out = new Array<ParquetCell>(rows).fill(null);
  for (const { start, data } of pieces) {
    const c = toCells(data);
    for (let i = 0; i < c.length && start + i < rows; i++) out[start + i] = c[i];
  }
  return out;
}

const damaged = (err: unknown) =>
  err instanceof MloopError ? err : new MloopError('invalid_argument', `the Parquet file cannot be decoded (truncated or damaged): ${(err as Error).message}`);

/**
 * zstd through zstd's own C decoder compiled to WebAssembly: most exports (BigQuery's, pyarrow's for
 * many) are zstd, and the pure-JavaScript one took more time than everything else in a read. The other
 * codecs stay hyparquet-compressors'.
 */
let compressors: typeof jsCompressors = jsCompressors;
let ready: Promise<void> | null = null;
function codecs(): Promise<void> {
  ready ??= (async () => {
    const zstd = new ZSTDDecoder();
    await zstd.init();
    compressors = { ...jsCompressors, ZSTD: (input: Uint8Array, size: number) => zstd.decode(input, size) };
  })();
  return ready;
}

type Tree = ReturnType<typeof parquetSchema>;

/**
 * One row group's columns: their chunks fetched in one range, each decoded by the flat path
 * (flat_column.ts), or by hyparquet's general reader when the flat path does not cover its encoding.
 */
interface GroupSpan {
  chunks: Array<{ meta: NonNullable<ParquetLayout['metadata']['row_groups'][number]['columns'][number]['meta_data']>; start: number; end: number }>;
  from: number;
  span: Uint8Array;
}

/** One row group's column chunks, fetched in one range. */
async function fetchGroup(source: ParquetSource, layout: ParquetLayout, g: number, fields: ParquetField[]): Promise<GroupSpan> {
  const chunks = fields.map((f) => {
    const meta = layout.metadata.row_groups[g].columns[f.index].meta_data;
    if (!meta) throw new Error(`row group ${g} has no metadata for column "${f.name}"`);
    const dict = meta.dictionary_page_offset === undefined ? Infinity : Number(meta.dictionary_page_offset);
    const start = Math.min(Number(meta.data_page_offset), dict > 0 ? dict : Infinity);
    return { meta, start, end: start + Number(meta.total_compressed_size) };
  });
  const from = Math.min(...chunks.map((c) => c.start));
  const to = Math.max(...chunks.map((c) => c.end));
  return { chunks, from, span: new Uint8Array(await source.slice(from, to)) };
}

async function readGroup(
  source: ParquetSource,
  layout: ParquetLayout,
  fetched: GroupSpan,
  rows: number,
  groupStart: number,
  fields: ParquetField[],
  tree: Tree,
  parsers: ParquetParsers,
  rawStrings: boolean,
  buffers: ColumnBuffers[] | null,
): Promise<Array<ArrayLike<ParquetCell> | ByteColumn>> {
  const { chunks, from, span } = fetched;
  const columns: Array<ArrayLike<ParquetCell> | ByteColumn> = [];
  for (const [k, f] of fields.entries()) {
    const { meta, start, end } = chunks[k];
    const node = tree.children[f.index];
    const decoder: ColumnDecoder = { pathInSchema: meta.path_in_schema, type: meta.type, element: node.element, schemaPath: [tree, node], codec: meta.codec, parsers, compressors, utf8: true };
    const numeric = f.kind === 'number' || f.kind === 'time';
    const raw = rawStrings && f.kind === 'string' && meta.type === 'BYTE_ARRAY' && node.element.logical_type?.type !== 'JSON';
    const flat = decodeFlatChunk(span.subarray(start - from, end - from), rows, decoder, numeric, raw, buffers?.[k]);
    if (flat) columns.push(flat);
    else {
      const general = await generalColumn(source, layout, f.name, groupStart, rows);
      columns.push(numeric ? asFloat64(general as ArrayLike<number | null>) : general);
    }
  }
  return columns;
}

async function generalColumn(source: ParquetSource, layout: ParquetLayout, name: string, groupStart: number, rows: number): Promise<ArrayLike<ParquetCell>> {
  const pieces: Array<{ start: number; data: ArrayLike<unknown> }> = [];
  await parquetRead({
    file: source,
    metadata: layout.metadata,
    columns: [name],
    rowStart: groupStart,
    rowEnd: groupStart + rows,
    compressors,
    parsers: PARSERS,
    onChunk: (chunk) => pieces.push({ start: chunk.rowStart - groupStart, data: chunk.columnData as ArrayLike<unknown> }),
  });
  return concatChunks(pieces, rows);
}

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
  await codecs();
  const tree = parquetSchema(layout.metadata);
  const parsers = { ...DEFAULT_PARSERS, ...PARSERS };
  const buffers = opts.reuseColumns ? fields.map(() => new ColumnBuffers()) : null;
  let handed = 0;
  // The next group's bytes are fetched while this one is decoded and handled: a read's latency (a
  // remote range, or a busy machine's I/O threads) overlaps the work instead of adding to it.
  const groups = layout.rowGroups.map((rows, g) => ({ g, rows })).filter((x) => x.rows > 0);
  let first = 0;
  const starts = layout.rowGroups.map((rows) => (first += rows) - rows);
  const fetch = (k: number) => {
    const pending = fetchGroup(source, layout, groups[k].g, fields);
    pending.catch(() => undefined);
    return pending;
  };
  let next = groups.length > 0 ? fetch(0) : null;
  for (let k = 0; k < groups.length; k++) {
    const { g, rows } = groups[k];
    const groupStart = starts[g];
    let columns: Array<ArrayLike<ParquetCell> | ByteColumn>;
    try {
      const fetched = await next!;
      next = k + 1 < groups.length ? fetch(k + 1) : null;
      columns = await readGroup(source, layout, fetched, rows, groupStart, fields, tree, parsers, opts.rawStrings === true, buffers);
    } catch (err) {
      throw damaged(err);
    }
    handed += rows;
    if ((await onRowGroup({ rowStart: groupStart, rows, columns: columns as ArrayLike<ParquetCell>[], fields })) === STOP_PARQUET) break;
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
