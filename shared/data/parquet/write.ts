import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { ParquetCell } from './read';

/**
 * Writing a Parquet file from rows, one row group per batch, so a million rows are never all in memory:
 * the demo's `mloop generate --format parquet` and tests. Snappy, as most writers default to.
 */
export interface ParquetColumnSpec {
  name: string;
  type: 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'TIMESTAMP';
}

export async function writeParquetFile(
  path: string,
  columns: ParquetColumnSpec[],
  rows: Iterable<Record<string, ParquetCell | bigint | Date>>,
  opts: { rowGroupRows?: number } = {},
): Promise<number> {
  const groupRows = opts.rowGroupRows ?? 100_000;
  let writer: ParquetWriter | null = null;
  let batch: Array<Record<string, unknown>> = [];
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const columnData: ColumnSource[] = columns.map((c) => ({ name: c.name, type: c.type, data: batch.map((r) => r[c.name] ?? null) }));
    writer ??= new ParquetWriter({ writer: fileWriter(path), schema: schemaFromColumnData({ columnData }), createdBy: 'mloop' });
    await writer.write({ columnData, rowGroupSize: batch.length });
    written += batch.length;
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length === groupRows) await flush();
  }
  await flush();
  if (writer === null) throw new Error('a Parquet file needs at least one row');
  await (writer as ParquetWriter).finish();
  return written;
}
