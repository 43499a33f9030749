import path from 'node:path';

/** Cloud Storage clients guess a content type from the file name; files found on disk get the same. */
const BY_EXTENSION: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.txt': 'text/plain',
  '.html': 'text/html',
  '.parquet': 'application/vnd.apache.parquet',
  '.gz': 'application/gzip',
};

export function contentTypeFor(name: string): string {
  return BY_EXTENSION[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}
