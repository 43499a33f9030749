import { open, stat } from 'node:fs/promises';

/**
 * Where a Parquet file's bytes come from, read by range: the footer first, then one row group's column
 * chunks at a time, so a file never has to be in memory whole. hyparquet's AsyncBuffer has this shape.
 */
export interface ParquetSource {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

/** A local file, read with positioned reads on one descriptor per slice. */
export async function parquetFileSource(path: string): Promise<ParquetSource> {
  const { size } = await stat(path);
  return {
    byteLength: size,
    async slice(start, end = size) {
      const length = Math.max(0, Math.min(end, size) - start);
      const out = new ArrayBuffer(length);
      if (length === 0) return out;
      const fd = await open(path, 'r');
      try {
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fd.read(new Uint8Array(out, done), 0, length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      } finally {
        await fd.close();
      }
      return out;
    },
  };
}

/** Bytes already in memory (an upload, a test fixture). */
export function parquetBytesSource(bytes: Uint8Array): ParquetSource {
  return {
    byteLength: bytes.byteLength,
    async slice(start, end = bytes.byteLength) {
      return bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + Math.min(end, bytes.byteLength)) as ArrayBuffer;
    },
  };
}

/** A reader of ranges (a Cloud Storage object, a blob store) as a source; `end` is exclusive. */
export function parquetRangeSource(byteLength: number, read: (start: number, end: number) => Promise<Uint8Array>): ParquetSource {
  return {
    byteLength,
    async slice(start, end = byteLength) {
      const bytes = await read(start, Math.min(end, byteLength));
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    },
  };
}
