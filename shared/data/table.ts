import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { readCsv, type CsvReadResult, type RecordHandler } from './csv';
import type { DeclaredKind } from './parquet/records';
import { parquetFileSource, type ParquetSource } from './parquet/source';
import { isTableParts, readTableParts, type TableParts } from './table_parts';

/**
 * A tabular dataset as the data path reads it: a CSV as a byte stream, or a Parquet file as a source
 * of byte ranges (its footer is at the end, so it cannot be read front to back). Both come out as
 * records (csv_scan.ts), so profiling, loading and scoring do not care which it was.
 */
export type TableInput = Readable | ParquetSource | TableParts;

export interface TableReadResult extends CsvReadResult {
  /** Parquet only: per column, the kind its declared type gives. */
  declared?: DeclaredKind[];
}

export const isParquetInput = (input: TableInput): input is ParquetSource => !(input instanceof Readable) && !isTableParts(input);

/**
 * readCsv over either kind of input; a Parquet row is a record whose cells are typed. The Parquet reader
 * is loaded when a Parquet file is read, so the functions that never see one (score) start without it.
 */
export async function readTable(input: TableInput, onHeader: (header: string[]) => void, onRecord: RecordHandler): Promise<TableReadResult> {
  if (isTableParts(input)) return readTableParts(input, onHeader, onRecord, lazyParquetRecords);
  if (!isParquetInput(input)) return readCsv(input, onHeader, onRecord);
  return lazyParquetRecords(input, onHeader, onRecord);
}

async function lazyParquetRecords(input: ParquetSource, onHeader: (header: string[]) => void, onRecord: RecordHandler): Promise<TableReadResult> {
  const { readParquetRecords } = await import('./parquet/records');
  return readParquetRecords(input, onHeader, onRecord);
}

/** A dataset object or file name says which it is; anything else is read as CSV. */
export const isParquetName = (name: string) => /\.parquet$/i.test(name);

/** A local file by its name: a Parquet file by range, anything else as a CSV stream. */
export async function openTableFile(file: string): Promise<TableInput> {
  return isParquetName(file) ? parquetFileSource(file) : createReadStream(file);
}
