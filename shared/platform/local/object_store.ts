import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MloopError, invalid, notFound, preconditionFailed } from '../../core/errors';
import type { ByteRange, ObjectMetadata, ObjectStore, PutOptions } from '../ports';
import { contentTypeFor } from '../content_types';
import { md5Yielding } from '../md5';
import { UNHASHED, hashedRow } from './deferred_md5';
import { TMP_DIR, assertNoLinkEscape, bucketDir, objectPath } from './object_paths';
import { nextGeneration, readRow, readRows, toMetadata, upsertRow } from './object_rows';
import { immediate, type Db } from './sqlite';

interface Staged {
  tmp: string;
  md5: string;
  size: number;
}

/**
 * Buckets as folders under `root`, objects as files, metadata in SQLite. A write lands in the bucket's
 * temp folder first and is renamed into place, so a reader never sees half an object; the precondition
 * check, the rename and the metadata row happen in one IMMEDIATE transaction, so of two processes
 * writing the same name under a precondition exactly one wins.
 */
export class LocalObjectStore implements ObjectStore {
  private readonly root: string;

  constructor(
    private readonly db: Db,
    root: string,
  ) {
    this.root = path.resolve(root);
  }

  async put(bucket: string, name: string, data: Buffer | string, options: PutOptions = {}): Promise<ObjectMetadata> {
    const file = objectPath(this.root, bucket, name);
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    const staged = await this.stage(bucket, async (tmp) => {
      // written and synced through one descriptor: stage() need not open the file again
      const handle = await fsp.open(tmp, 'wx');
      let md5 = UNHASHED;
      try {
        // hashed while the thread pool writes, a slice per turn: a server writing its log keeps answering
        if (options.checksum === false) await handle.writeFile(buffer);
        else [, md5] = await Promise.all([handle.writeFile(buffer), md5Yielding(buffer)]);
        if (options.durable !== false) await handle.sync();
      } finally {
        await handle.close();
      }
      return { md5, size: buffer.length, synced: true };
    });
    return this.commit(bucket, name, file, staged, options);
  }

  async putFile(bucket: string, name: string, localPath: string, options: PutOptions = {}): Promise<ObjectMetadata> {
    const file = objectPath(this.root, bucket, name);
    const staged = await this.stage(bucket, (tmp) => writeStreamed(fs.createReadStream(localPath), tmp)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' && !fs.existsSync(localPath)) throw notFound(`local file ${localPath} does not exist`);
      throw err;
    });
    return this.commit(bucket, name, file, staged, options);
  }

  async putStream(bucket: string, name: string, source: AsyncIterable<Buffer>, options: PutOptions = {}): Promise<ObjectMetadata> {
    const file = objectPath(this.root, bucket, name);
    const staged = await this.stage(bucket, (tmp) => writeStreamed(source, tmp));
    return this.commit(bucket, name, file, staged, options);
  }

  async get(bucket: string, name: string): Promise<Buffer> {
    const file = this.readable(bucket, name);
    try {
      return await fsp.readFile(file);
    } catch (err) {
      throw missingAsNotFound(err, bucket, name);
    }
  }

  async createReadStream(bucket: string, name: string, range?: ByteRange): Promise<Readable> {
    const file = this.readable(bucket, name);
    if (range?.generation !== undefined && (await this.stat(bucket, name))?.generation !== range.generation) {
      throw new MloopError('not_found', `object ${bucket}/${name} generation ${range.generation} is no longer the live one`);
    }
    // Opening before returning turns a missing file into not_found instead of a stream error later;
    // the open descriptor keeps reading this generation even if a newer one is renamed over it.
    try {
      const handle = await fsp.open(file, 'r');
      if (!range) return handle.createReadStream();
      if (range.end <= range.start) return Readable.from([]);
      return handle.createReadStream({ start: range.start, end: range.end - 1 });
    } catch (err) {
      throw missingAsNotFound(err, bucket, name);
    }
  }

  async stat(bucket: string, name: string): Promise<ObjectMetadata | null> {
    objectPath(this.root, bucket, name);
    const row = readRow(this.db, bucket, name);
    const hashed = row && (await hashedRow(this.db, this.root, row));
    return hashed ? toMetadata(hashed) : null;
  }

  async list(bucket: string, prefix = ''): Promise<ObjectMetadata[]> {
    bucketDir(this.root, bucket);
    const listed: ObjectMetadata[] = [];
    for (const row of readRows(this.db, bucket, prefix)) {
      const hashed = row.md5 === UNHASHED ? await hashedRow(this.db, this.root, row) : row;
      if (hashed) listed.push(toMetadata(hashed));
    }
    return listed;
  }

  async listNames(bucket: string, prefix = ''): Promise<string[]> {
    bucketDir(this.root, bucket);
    return readRows(this.db, bucket, prefix).map((row) => row.name);
  }

  async delete(bucket: string, name: string, options: { ifGenerationMatch?: string } = {}): Promise<void> {
    const file = objectPath(this.root, bucket, name);
    const top = bucketDir(this.root, bucket);
    immediate(this.db, () => {
      const row = readRow(this.db, bucket, name);
      const exists = isFile(file);
      if (!row && !exists) throw notFound(`object ${bucket}/${name} does not exist`);
      checkGeneration(options.ifGenerationMatch, row?.generation, exists, bucket, name);
      fs.rmSync(file, { force: true });
      this.db.prepare('DELETE FROM objects WHERE bucket = ? AND name = ?').run(bucket, name);
      // Empty folders left behind would block a later object named like the folder. Puts create
      // folders inside the same kind of transaction, so none is removed under a concurrent put.
      for (let dir = path.dirname(file); dir.startsWith(top + path.sep); dir = path.dirname(dir)) {
        try {
          fs.rmdirSync(dir);
        } catch {
          break;
        }
      }
    });
  }

  private readable(bucket: string, name: string): string {
    const file = objectPath(this.root, bucket, name);
    if (!readRow(this.db, bucket, name)) throw notFound(`object ${bucket}/${name} does not exist`);
    assertNoLinkEscape(this.root, bucket, file);
    return file;
  }

  private async stage(bucket: string, write: (tmp: string) => Promise<Omit<Staged, 'tmp'> & { synced?: boolean }>): Promise<Staged> {
    const dir = path.join(bucketDir(this.root, bucket), TMP_DIR);
    await fsp.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, randomBytes(12).toString('hex'));
    try {
      const { synced, ...digest } = await write(tmp);
      if (!synced) {
        const handle = await fsp.open(tmp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      return { tmp, ...digest };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  private async commit(bucket: string, name: string, file: string, staged: Staged, options: PutOptions): Promise<ObjectMetadata> {
    try {
      const row = immediate(this.db, () => {
        const live = readRow(this.db, bucket, name);
        checkGeneration(options.ifGenerationMatch, live?.generation, isFile(file), bucket, name);
        placeFile(staged.tmp, file, bucket, name, () => assertNoLinkEscape(this.root, bucket, file));
        const row = {
          bucket,
          name,
          generation: nextGeneration(this.db),
          md5: staged.md5,
          size: staged.size,
          content_type: options.contentType ?? contentTypeFor(name),
          updated: new Date().toISOString(),
          mtime_ms: fs.statSync(file).mtimeMs,
        };
        upsertRow(this.db, row);
        return row;
      });
      // on the thread pool, not the event loop: a folder's fsync took tens of milliseconds on a busy disk,
      // and every request a server was answering (the prediction log writes while it scores) waited
      if (options.durable !== false) await syncDir(path.dirname(file));
      return toMetadata({ ...row, notified_generation: null });
    } catch (err) {
      // renamed into place it is gone; not placed, it is removed (an unlink per write cost the event loop a system call)
      fs.rmSync(staged.tmp, { force: true });
      throw err;
    }
  }
}

async function writeStreamed(source: AsyncIterable<Buffer>, tmp: string): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    fs.createWriteStream(tmp, { flags: 'wx' }),
  );
  return { md5: hash.digest('base64'), size };
}

function placeFile(tmp: string, file: string, bucket: string, name: string, checkFolder: () => void): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    checkFolder();
    fs.renameSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
      // A folder cannot hold both an object `a` and an object `a/b`, unlike Cloud Storage.
      throw preconditionFailed(`object ${bucket}/${name} collides with another object's path on disk`);
    }
    throw err;
  }
}

function checkGeneration(
  expected: string | undefined,
  live: number | undefined,
  fileExists: boolean,
  bucket: string,
  name: string,
): void {
  if (expected === undefined) return;
  if (!/^\d+$/.test(expected)) throw invalid(`ifGenerationMatch must be a decimal generation, got ${JSON.stringify(expected)}`);
  if (BigInt(expected) === 0n) {
    // A file copied in by hand and not yet picked up by the watcher exists all the same.
    if (live !== undefined || fileExists) throw preconditionFailed(`object ${bucket}/${name} already exists`);
    return;
  }
  if (live === undefined || BigInt(live) !== BigInt(expected)) {
    throw preconditionFailed(
      `object ${bucket}/${name} is at generation ${live ?? '(none)'}, not ${expected}`,
      { bucket, name, expected, live: live === undefined ? null : String(live) },
    );
  }
}

function isFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}

function missingAsNotFound(err: unknown, bucket: string, name: string): unknown {
  if (err instanceof MloopError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' ? notFound(`object ${bucket}/${name} does not exist`) : err;
}

/** Makes the rename durable; a failure only weakens durability, so it is not an error. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a folder.
  }
}
