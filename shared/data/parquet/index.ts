/** Parquet datasets: the reader's whole surface. */
export { parquetBytesSource, parquetFileSource, parquetRangeSource, type ParquetSource } from './source';
export { mloopKind, parquetLayout, type ParquetField, type ParquetKind, type ParquetLayout } from './schema';
export { parquetRows, readParquet, STOP_PARQUET, type ParquetCell, type ParquetRowGroup, type ReadParquetOptions } from './read';
export { writeParquetFile, type ParquetColumnSpec } from './write';
