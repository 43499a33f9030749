import { parquetMetadataAsync, parquetSchema as schemaTree, type FileMetaData, type SchemaElement, type SchemaTree } from 'hyparquet';
import { MloopError } from '../../core/errors';
import type { ParquetSource } from './source';

/**
 * A Parquet file's columns as mloop reads them, from the types the file declares rather than guessed
 * from text: numbers (ints, floats, decimals), booleans, strings (plain or dictionary-encoded) and times
 * (dates and timestamps, read as milliseconds since the epoch). Nested and list columns have no single
 * value per row, so the file is refused with the column's name instead of flattened by a rule nobody chose.
 */
export type ParquetKind = 'number' | 'boolean' | 'string' | 'time';

export interface ParquetField {
  name: string;
  /** Position among the file's top-level columns. */
  index: number;
  kind: ParquetKind;
  /** The declared type, for messages and reports: "INT64", "DECIMAL(10,2)", "TIMESTAMP(MICROS)", "STRING". */
  type: string;
  nullable: boolean;
}

export interface ParquetLayout {
  fields: ParquetField[];
  rows: number;
  /** Rows per row group, in file order. */
  rowGroups: number[];
  metadata: FileMetaData;
}

/** The kind mloop's schema starts from: time columns order rows (time_column) and are otherwise not features. */
export function mloopKind(kind: ParquetKind): 'numeric' | 'boolean' | 'categorical' | 'time' {
  return kind === 'number' ? 'numeric' : kind === 'string' ? 'categorical' : kind;
}

const invalid = (message: string) => new MloopError('invalid_argument', message);
const FLAT = 'mloop reads flat columns: numbers, decimals, booleans, strings, dates and timestamps';

function describe(e: SchemaElement): string {
  const lt = e.logical_type;
  if (lt?.type === 'DECIMAL') return `DECIMAL(${lt.precision},${lt.scale})`;
  if (lt?.type === 'TIMESTAMP' || lt?.type === 'TIME') return `${lt.type}(${lt.unit})`;
  if (lt?.type === 'INTEGER') return `${lt.isSigned ? 'INT' : 'UINT'}${lt.bitWidth}`;
  if (lt) return lt.type;
  if (e.converted_type) return e.converted_type;
  return e.type ?? 'GROUP';
}

function kindOf(e: SchemaElement): ParquetKind | null {
  const lt = e.logical_type?.type;
  const ct = e.converted_type;
  if (lt === 'DATE' || lt === 'TIMESTAMP' || ct === 'DATE' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || e.type === 'INT96') return 'time';
  if (lt === 'DECIMAL' || ct === 'DECIMAL' || lt === 'FLOAT16') return 'number';
  if (lt === 'STRING' || lt === 'ENUM' || lt === 'UUID' || ct === 'UTF8' || ct === 'ENUM') return 'string';
  if (lt === 'JSON' || lt === 'BSON' || lt === 'INTERVAL' || lt === 'VARIANT' || lt === 'GEOMETRY' || lt === 'GEOGRAPHY' || ct === 'JSON' || ct === 'BSON' || ct === 'INTERVAL') return null;
  switch (e.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    case 'BYTE_ARRAY':
      return 'string';
    default:
      return null;
  }
}

function field(node: SchemaTree, index: number): ParquetField {
  const e = node.element;
  const name = e.name;
  if (node.children.length > 0) {
    const what = e.logical_type?.type === 'LIST' || e.converted_type === 'LIST' ? 'a list' : e.logical_type?.type === 'MAP' || e.converted_type === 'MAP' ? 'a map' : 'a nested struct';
    throw invalid(`column "${name}" is ${what}; ${FLAT} (flatten it before export, e.g. SELECT ${name}.x AS ${name}_x)`);
  }
  if (e.repetition_type === 'REPEATED') throw invalid(`column "${name}" is a repeated field (a list); ${FLAT}`);
  const kind = kindOf(e);
  if (kind === null) throw invalid(`column "${name}" has type ${describe(e)}, which mloop does not read; ${FLAT}`);
  return { name, index, kind, type: describe(e), nullable: e.repetition_type !== 'REQUIRED' };
}

/** PAR1 at both ends: tells "not Parquet at all" from "cut short" before the footer parser's own words. */
async function checkMagic(source: ParquetSource): Promise<void> {
  const PAR1 = 0x31524150;
  if (source.byteLength < 12) throw invalid(`not a Parquet file: ${source.byteLength} bytes, too short for a Parquet header and footer`);
  const head = new DataView(await source.slice(0, 4)).getUint32(0, true);
  if (head !== PAR1) throw invalid('not a Parquet file: it does not start with the Parquet magic bytes "PAR1"');
  const tail = new DataView(await source.slice(source.byteLength - 4, source.byteLength)).getUint32(0, true);
  if (tail !== PAR1) throw invalid('the Parquet file is truncated: it starts like Parquet but its footer ("PAR1" at the end) is missing; upload it again whole');
}

/** The file's footer: its columns and row groups. Refuses non-Parquet, truncated and nested files. */
export async function parquetLayout(source: ParquetSource): Promise<ParquetLayout> {
  await checkMagic(source);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(source);
  } catch (err) {
    throw invalid(`the Parquet file's footer cannot be read (truncated or damaged): ${(err as Error).message}`);
  }
  const root = schemaTree(metadata);
  const fields = root.children.map((node, i) => field(node, i));
  if (fields.length === 0) throw invalid('the Parquet file has no columns');
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw invalid(`column name "${f.name}" appears twice in the Parquet schema`);
    seen.add(f.name);
  }
  const rowGroups = metadata.row_groups.map((g) => Number(g.num_rows));
  return { fields, rows: Number(metadata.num_rows), rowGroups, metadata };
}
