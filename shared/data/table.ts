import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { readCsv, type CsvReadResult, type RecordHandler } from './csv';
import { readParquetRecords, type DeclaredKind } from './parquet/records';
import { parquetFileSource, type ParquetSource } from './parquet/source';

/**
 * A tabular dataset as the data path reads it: a CSV as a byte stream, or a Parquet file as a source
 * of byte ranges (its footer is at the end, so it cannot be read front to back). Both come out as
 * records (csv_scan.ts), so profiling, loading and scoring do not care which it was.
 */
export type TableInput = Readable | ParquetSource;

export interface TableReadResult extends CsvReadResult {
  /** Parquet only: per column, the kind its declared type gives. */
  declared?: DeclaredKind[];
}

export const isParquetInput = (input: TableInput): input is ParquetSource => !(input instanceof Readable);

/** readCsv over either kind of input; a Parquet row is a record whose cells are typed. */
export function readTable(input: TableInput, onHeader: (header: string[]) => void, onRecord: RecordHandler): Promise<TableReadResult> {
  return isParquetInput(input) ? readParquetRecords(input, onHeader, onRecord) : readCsv(input, onHeader, onRecord);
}

/** A dataset object or file name says which it is; anything else is read as CSV. */
export const isParquetName = (name: string) => /\.parquet$/i.test(name);

/** A local file by its name: a Parquet file by range, anything else as a CSV stream. */
export async function openTableFile(file: string): Promise<TableInput> {
  return isParquetName(file) ? parquetFileSource(file) : createReadStream(file);
}
