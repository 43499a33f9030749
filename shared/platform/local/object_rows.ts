import type { ObjectMetadata } from '../ports';
import { nextCounter, type Db } from './sqlite';

/**
 * The `objects` table: what the object store wrote and what the bucket watcher found, with the file's
 * size and mtime as last seen, so a file changed by hand is noticed.
 */
export interface ObjectRow {
  bucket: string;
  name: string;
  generation: number;
  md5: string;
  size: number;
  content_type: string;
  updated: string;
  mtime_ms: number;
  notified_generation: number | null;
}

export function readRow(db: Db, bucket: string, name: string): ObjectRow | undefined {
  return db.prepare('SELECT * FROM objects WHERE bucket = ? AND name = ?').get(bucket, name) as ObjectRow | undefined;
}

/** Rows of a bucket whose names start with `prefix`, in Cloud Storage's (byte) order. */
export function readRows(db: Db, bucket: string, prefix = ''): ObjectRow[] {
  return db
    .prepare('SELECT * FROM objects WHERE bucket = @bucket AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name')
    .all({ bucket, prefix }) as ObjectRow[];
}

/**
 * Cloud Storage generations are microsecond timestamps; a shared counter floored at the clock keeps
 * them strictly increasing for every name, across processes and deletions. Call inside a transaction.
 */
export function nextGeneration(db: Db): number {
  return nextCounter(db, 'object_generation', Date.now() * 1000);
}

/** Writes a new generation of an object, not yet announced by the bucket watcher. */
export function upsertRow(db: Db, row: Omit<ObjectRow, 'notified_generation'>): void {
  db.prepare(
    `INSERT INTO objects (bucket, name, generation, md5, size, content_type, updated, mtime_ms, notified_generation)
     VALUES (@bucket, @name, @generation, @md5, @size, @content_type, @updated, @mtime_ms, NULL)
     ON CONFLICT (bucket, name) DO UPDATE SET
       generation = excluded.generation, md5 = excluded.md5, size = excluded.size,
       content_type = excluded.content_type, updated = excluded.updated, mtime_ms = excluded.mtime_ms,
       notified_generation = NULL`,
  ).run(row);
}

export function toMetadata(row: ObjectRow): ObjectMetadata {
  return {
    bucket: row.bucket,
    name: row.name,
    generation: String(row.generation),
    md5Hash: row.md5,
    size: row.size,
    contentType: row.content_type,
    updated: row.updated,
  };
}
