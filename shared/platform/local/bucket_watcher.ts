import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, invalid } from '../../core/errors';
import { TOPICS } from '../../core/events';
import type { Logger } from '../../core/log';
import type { EventBus } from '../ports';
import { contentTypeFor } from '../content_types';
import { hashedRow } from './deferred_md5';
import { TMP_DIR, bucketDir, objectNameProblem, objectPath } from './object_paths';
import { nextGeneration, readRow, readRows, upsertRow, type ObjectRow } from './object_rows';
import { startPolling, type PollLoop } from './poll_loop';
import { immediate, type Db } from './sqlite';

export interface BucketWatcherOptions {
  bucket: string;
  /** Only names under this prefix, e.g. `datasets/`. */
  prefix?: string;
  pollMs: number;
}

interface FileSeen {
  size: number;
  mtimeMs: number;
}

// A staged write untouched this long belongs to a process that died mid-write.
const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * Plays Cloud Storage's finalize notifications for one local bucket. Each scan records files that a
 * person copied in or changed by hand, and announces every generation not yet announced — including
 * those written through LocalObjectStore — on `object-finalized`. A generation is marked announced only
 * after the publish, so a crash in between announces it again: delivery is at least once.
 */
export class BucketWatcher {
  private readonly root: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly top: string;
  private previous = new Map<string, FileSeen>();
  private readonly warned = new Set<string>();
  private running: Promise<unknown> = Promise.resolve();
  private loop: PollLoop | null = null;

  constructor(
    private readonly db: Db,
    root: string,
    private readonly bus: EventBus,
    private readonly options: BucketWatcherOptions,
    private readonly logger?: Logger,
  ) {
    this.root = path.resolve(root);
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.top = bucketDir(this.root, options.bucket);
    if (this.prefix && objectNameProblem(this.prefix.replace(/\/$/, ''))) {
      throw invalid(`invalid prefix ${JSON.stringify(this.prefix)} to watch`);
    }
  }

  start(): void {
    this.loop ??= startPolling(
      async () => {
        await this.scanOnce();
        return false;
      },
      this.options.pollMs,
      (err) => this.logger?.error({ bucket: this.bucket, err: errorMessage(err) }, 'bucket scan failed'),
    );
  }

  /**
   * One scan; returns how many finalize events it published. A new or changed file is recorded only
   * once two scans in a row saw the same size and mtime, so a copy in progress is not announced half done.
   */
  scanOnce(): Promise<number> {
    const scan = this.running.then(() => this.scan());
    this.running = scan.catch(() => undefined);
    return scan;
  }

  /** Stops polling, after the scan under way. */
  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
    await this.running;
  }

  private async scan(): Promise<number> {
    const files = await this.walk();
    await this.sweepStaged();
    const rows = new Map(readRows(this.db, this.bucket, this.prefix).map((row) => [row.name, row]));
    for (const [name, seen] of files) {
      const row = rows.get(name);
      if (row && sameFile(row, seen)) continue;
      const before = this.previous.get(name);
      if (!before || before.size !== seen.size || before.mtimeMs !== seen.mtimeMs) continue;
      await this.record(name, seen);
    }
    for (const row of rows.values()) {
      if (!files.has(row.name)) this.forgetIfGone(row);
    }
    this.previous = files;
    return this.announce();
  }

  private async record(name: string, seen: FileSeen): Promise<void> {
    const file = objectPath(this.root, this.bucket, name);
    let md5: string;
    try {
      md5 = await md5Of(file);
    } catch {
      return; // gone or unreadable since the walk; the next scan decides
    }
    const recorded = immediate(this.db, () => {
      const now = fileSeen(file);
      if (!now || now.size !== seen.size || now.mtimeMs !== seen.mtimeMs) return false; // changed while hashing
      const live = readRow(this.db, this.bucket, name);
      if (live && sameFile(live, now)) return false; // written through the store meanwhile
      if (live && live.md5 === md5 && live.size === now.size) {
        // Touched, not changed: no new generation, no event.
        this.db.prepare('UPDATE objects SET mtime_ms = ? WHERE bucket = ? AND name = ?').run(now.mtimeMs, this.bucket, name);
        return false;
      }
      upsertRow(this.db, {
        bucket: this.bucket,
        name,
        generation: nextGeneration(this.db),
        md5,
        size: now.size,
        content_type: live?.content_type ?? contentTypeFor(name),
        updated: new Date().toISOString(),
        mtime_ms: now.mtimeMs,
      });
      return true;
    });
    if (recorded) this.logger?.info({ bucket: this.bucket, name, size: seen.size }, 'picked up a file copied into the bucket');
  }

  /** A file removed by hand: its row goes too, without an event (there is no delete event to play). */
  private forgetIfGone(row: ObjectRow): void {
    const file = objectPath(this.root, this.bucket, row.name);
    immediate(this.db, () => {
      if (fileSeen(file)) return;
      this.db
        .prepare('DELETE FROM objects WHERE bucket = ? AND name = ? AND generation = ?')
        .run(this.bucket, row.name, row.generation);
    });
  }

  private async announce(): Promise<number> {
    const pending = this.db
      .prepare(
        `SELECT * FROM objects
         WHERE bucket = @bucket AND substr(name, 1, length(@prefix)) = @prefix
           AND (notified_generation IS NULL OR notified_generation != generation)
         ORDER BY name`,
      )
      .all({ bucket: this.bucket, prefix: this.prefix }) as ObjectRow[];
    for (const listed of pending) {
      // changed by hand before it was hashed, it is announced as the generation the next scans record
      const row = await hashedRow(this.db, this.root, listed).catch(() => null);
      if (!row) continue; // or removed since: there is no finalized object to announce
      // Cloud Storage's StorageObjectData, with the attributes of the CloudEvent that carries it.
      await this.bus.publish(
        TOPICS.objectFinalized,
        {
          bucket: row.bucket,
          name: row.name,
          generation: String(row.generation),
          size: String(row.size),
          md5Hash: row.md5,
          contentType: row.content_type,
          timeCreated: row.updated,
          updated: row.updated,
        },
        {
          attributes: {
            type: 'google.cloud.storage.object.v1.finalized',
            source: `//storage.googleapis.com/projects/_/buckets/${row.bucket}`,
            subject: `objects/${row.name}`,
          },
        },
      );
      this.db
        .prepare('UPDATE objects SET notified_generation = generation WHERE bucket = ? AND name = ? AND generation = ?')
        .run(row.bucket, row.name, row.generation);
    }
    return pending.length;
  }

  /** Regular, visible files under the prefix; links, dotfiles and the temp folder are not objects. */
  private async walk(): Promise<Map<string, FileSeen>> {
    const found = new Map<string, FileSeen>();
    const visit = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(path.join(this.top, dir), { withFileTypes: true });
      } catch {
        return; // no such folder (yet)
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const name = dir + entry.name;
        if (entry.isDirectory()) {
          if (name.startsWith(this.prefix) || this.prefix.startsWith(name + '/')) await visit(name + '/');
          continue;
        }
        if (!entry.isFile() || !name.startsWith(this.prefix)) continue;
        const problem = objectNameProblem(name);
        if (problem) {
          if (!this.warned.has(name)) this.logger?.warn({ bucket: this.bucket, name, problem }, 'ignoring a file whose name cannot be an object name');
          this.warned.add(name);
          continue;
        }
        const seen = fileSeen(path.join(this.top, name));
        if (seen) found.set(name, seen);
      }
    };
    await visit('');
    return found;
  }

  private async sweepStaged(): Promise<void> {
    const dir = path.join(this.top, TMP_DIR);
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const seen = fileSeen(file);
      if (seen && Date.now() - seen.mtimeMs > STALE_TMP_MS) await fsp.rm(file, { force: true });
    }
  }
}

function sameFile(row: ObjectRow, seen: FileSeen): boolean {
  return row.size === seen.size && row.mtime_ms === seen.mtimeMs;
}

function fileSeen(file: string): FileSeen | null {
  try {
    const stat = fs.lstatSync(file);
    return stat.isFile() ? { size: stat.size, mtimeMs: stat.mtimeMs } : null;
  } catch {
    return null;
  }
}

async function md5Of(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}
