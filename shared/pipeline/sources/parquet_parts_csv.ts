import { Readable } from 'node:stream';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { MloopError } from '../../core/errors';
import type { ObjectStore } from '../../platform/ports';

export interface PartFile {
  bucket: string;
  name: string;
  md5Hash: string;
}

/**
 * Parquet part files (an export's) as the rows of one CSV, one row group at a time, so the readers of
 * uploads (validation, preparation) take them unchanged. Each part is checked against the MD5 recorded
 * for it: a part replaced since the dataset was recorded fails the read rather than train on other rows.
 * A part is held whole while its row groups are read (BigQuery writes parts of at most about 1 GB).
 */
export function partsAsCsv(objects: ObjectStore, parts: PartFile[]): Readable {
  return Readable.from(csvChunks(objects, parts));
}

async function* csvChunks(objects: ObjectStore, parts: PartFile[]): AsyncGenerator<Buffer> {
  let header: string[] | null = null;
  for (const part of parts) {
    const stat = await objects.stat(part.bucket, part.name);
    if (!stat || stat.md5Hash !== part.md5Hash) throw new MloopError('failed_precondition', `${part.name} changed or was deleted after the dataset was recorded`);
    const bytes = await objects.get(part.bucket, part.name);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    const columns = metadata.schema.slice(1).map((element) => element.name);
    if (header === null) {
      header = columns;
      yield Buffer.from(`${header.map(cell).join(',')}\n`);
    } else if (columns.join('\u0000') !== header.join('\u0000')) {
      throw new MloopError('invalid_argument', `${part.name} has columns ${columns.join(', ')}, not ${header.join(', ')} as the first part`);
    }
    const names = header;
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, compressors });
      yield Buffer.from(rows.map((row) => `${names.map((c) => cell(row[c])).join(',')}\n`).join(''));
      start = end;
    }
  }
  if (header === null) throw new MloopError('invalid_argument', 'the export wrote no Parquet file');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
