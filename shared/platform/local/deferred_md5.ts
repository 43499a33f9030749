import fsp from 'node:fs/promises';
import { unavailable } from '../../core/errors';
import { md5Yielding } from '../md5';
import { objectPath } from './object_paths';
import { readRow, type ObjectRow } from './object_rows';
import { immediate, type Db } from './sqlite';

/** The `md5` of a row whose object was written unhashed (`PutOptions.checksum` false). */
export const UNHASHED = '';

/**
 * The row with its MD5: an object written unhashed is hashed from its file the first time its metadata
 * is read, and the digest recorded, as Cloud Storage computes it on its side while the writer spends
 * nothing. Null when the object is gone meanwhile.
 */
export async function hashedRow(db: Db, root: string, row: ObjectRow): Promise<ObjectRow | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (row.md5 !== UNHASHED) return row;
    const read = await readWithStat(objectPath(root, row.bucket, row.name));
    const digest = read && read !== 'missing' ? { md5: await md5Yielding(read.bytes), size: read.size, mtimeMs: read.mtimeMs } : null;
    const live = immediate(db, () => {
      const now = readRow(db, row.bucket, row.name);
      // deleted by hand, the bucket watcher's next scan forgets its row: it is no object to report meanwhile
      if (read === 'missing' && now?.generation === row.generation) return null;
      // the bytes hashed are this generation's only if the file read is the one its row describes
      if (!now || !digest || now.md5 !== UNHASHED || now.generation !== row.generation) return now;
      if (now.size !== digest.size || now.mtime_ms !== digest.mtimeMs) return now;
      db.prepare('UPDATE objects SET md5 = ? WHERE bucket = ? AND name = ? AND generation = ?').run(digest.md5, row.bucket, row.name, row.generation);
      return { ...now, md5: digest.md5 };
    });
    if (!live) return null;
    row = live;
  }
  if (row.md5 !== UNHASHED) return row;
  throw unavailable(`object ${row.bucket}/${row.name} kept changing while its MD5 was computed; try again`);
}

async function readWithStat(file: string): Promise<{ bytes: Buffer; size: number; mtimeMs: number } | 'missing' | null> {
  try {
    const handle = await fsp.open(file, 'r');
    try {
      const stat = await handle.stat();
      return { bytes: await handle.readFile(), size: stat.size, mtimeMs: stat.mtimeMs };
    } finally {
      await handle.close();
    }
  } catch (err) {
    // replaced meanwhile (the row read again says so), or gone
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
}
