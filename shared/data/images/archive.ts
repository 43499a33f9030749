import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import * as yauzl from 'yauzl';
import { MloopError } from '../../core/errors';

/**
 * Reads the entries of an uploaded archive without trusting it. Archives come from users, so every
 * entry is streamed (never the whole archive inflated in memory) and bounded: how many entries, how many
 * bytes each, how many bytes in all. An archive that tries to escape its folder (`../`, an absolute path,
 * a symlink or hard link) or to inflate past the limits is refused as a whole, with the reason and the
 * entry: such an archive is hostile or broken, and training on the part that remains would surprise.
 *
 * yauzl reads zip: it walks the central directory lazily, rejects unsafe names, knows each entry's
 * declared size before inflating it and checks the inflated bytes against it. tar-stream (with
 * node:zlib for .tar.gz) reads tar as a stream, headers first.
 */
export type ArchiveFormat = 'zip' | 'tar' | 'tar.gz';

/** A file path, the archive's bytes, or a stream whose format the caller knows (e.g. from the object name). */
export type ArchiveSource = string | Buffer | { stream: Readable; format: ArchiveFormat };

export interface ArchiveLimits {
  maxEntries: number;
  /** Uncompressed bytes of one entry. */
  maxEntryBytes: number;
  /** Uncompressed bytes inflated from the whole archive. */
  maxTotalBytes: number;
}

/** Room for a PlantVillage-sized set (54 000 images, about 1 GB) and then some; no photo needs 32 MiB. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 250_000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
};

export type ArchiveRefusal =
  | 'unknown_format'
  | 'corrupt_archive'
  | 'unsafe_path'
  | 'link_entry'
  | 'duplicate_entry'
  | 'encrypted_entry'
  | 'too_many_entries'
  | 'entry_too_large'
  | 'archive_too_large';

export class ArchiveRefused extends MloopError {
  constructor(
    readonly reason: ArchiveRefusal,
    message: string,
    readonly entry?: string,
  ) {
    super('invalid_argument', message, { reason, ...(entry === undefined ? {} : { entry }) });
  }
}

/** `file`: an entry a caller's own `kindOf` wants read (a model version's files, for an import). */
export type EntryKind = 'image' | 'labels' | 'file' | 'ignored' | 'directory';
type ReadKind = Exclude<EntryKind, 'ignored' | 'directory'>;

export interface ArchiveEntry {
  /** Normalised: forward slashes, no leading `./`, Unicode NFC (macOS archives carry NFD names). */
  name: string;
  kind: EntryKind;
  /** Uncompressed bytes. */
  size: number;
  /** The content, for the entries the caller asked to read (by default images and labels.csv). */
  bytes?: Buffer;
}

export interface ReadArchiveOptions {
  limits?: Partial<ArchiveLimits>;
  /** Which image and labels entries to read; the others are skipped (zip) or drained (tar) without being kept. */
  read?: (name: string, kind: ReadKind) => boolean;
  /** What an entry is, when the archive holds something other than images (default: entryKind). */
  kindOf?: (name: string) => Exclude<EntryKind, 'directory'>;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;
export const LABELS_FILE = 'labels.csv';

export function isArchiveName(name: string): boolean {
  return /\.(zip|tar|tar\.gz|tgz)$/i.test(name);
}

export function formatFromName(name: string): ArchiveFormat | null {
  if (/\.zip$/i.test(name)) return 'zip';
  if (/\.(tar\.gz|tgz)$/i.test(name)) return 'tar.gz';
  if (/\.tar$/i.test(name)) return 'tar';
  return null;
}

export function entryKind(name: string): Exclude<EntryKind, 'directory'> {
  const parts = name.split('/');
  const base = parts[parts.length - 1].toLowerCase();
  // Finder's resource forks and dot files are never data, whatever their extension says
  if (parts.some((p) => p.startsWith('.') || p === '__MACOSX')) return 'ignored';
  if (base === LABELS_FILE) return 'labels';
  return IMAGE_EXTENSIONS.some((ext) => base.endsWith(ext)) ? 'image' : 'ignored';
}

/** The entry's name made canonical, or a refusal if it could land outside the folder it is unpacked in. */
export function safeEntryName(raw: string): string {
  const refuse = (why: string) => new ArchiveRefused('unsafe_path', `entry ${JSON.stringify(raw)} ${why}: the archive is refused`, raw);
  if (raw.includes('\0')) throw refuse('contains a NUL character');
  if (raw.includes('\\')) throw refuse('contains a backslash (a Windows path separator)');
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw)) throw refuse('is an absolute path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('climbs out of the archive with ..');
  return parts.join('/').normalize('NFC');
}

export async function detectFormat(source: string | Buffer): Promise<ArchiveFormat> {
  let head: Buffer;
  if (typeof source === 'string') {
    const file = await open(source, 'r');
    try {
      head = Buffer.alloc(512);
      const { bytesRead } = await file.read(head, 0, 512, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } else head = source.subarray(0, 512);
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return 'zip';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw new ArchiveRefused('unknown_format', 'the upload is not a zip, tar or tar.gz archive (its first bytes match none of them)');
}

const DEFAULT_READ = () => true;

/** The archive's entries in archive order (folders too, so an empty class folder can be reported). Throws ArchiveRefused. */
export async function* readArchive(source: ArchiveSource, options: ReadArchiveOptions = {}): AsyncGenerator<ArchiveEntry> {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const read = options.read ?? DEFAULT_READ;
  const format = typeof source === 'object' && !Buffer.isBuffer(source) ? source.format : await detectFormat(source);
  let entries: AsyncGenerator<ArchiveEntry>;
  if (format === 'zip') {
    if (typeof source === 'object' && !Buffer.isBuffer(source)) {
      // zip keeps its directory at the end: a stream would have to be spooled to disk first
      throw new MloopError('invalid_argument', 'a zip archive is read from a file or a buffer, not a stream');
    }
    entries = readZip(source, limits, read, options.kindOf ?? entryKind);
  } else {
    const stream = typeof source === 'string' ? createReadStream(source) : Buffer.isBuffer(source) ? Readable.from([source]) : source.stream;
    entries = readTar(stream, format === 'tar.gz', limits, read, options.kindOf ?? entryKind);
  }
  // two entries of one name: which one a tool unpacks last differs, so which image is meant is unknowable
  const seen = new Set<string>();
  for await (const entry of entries) {
    if (entry.kind !== 'directory') {
      if (seen.has(entry.name)) throw new ArchiveRefused('duplicate_entry', `entry ${JSON.stringify(entry.name)} appears twice: the archive is refused`, entry.name);
      seen.add(entry.name);
    }
    yield entry;
  }
}

function sizeRefusal(limits: ArchiveLimits, name: string, size: number): ArchiveRefused | null {
  if (size > limits.maxEntryBytes) {
    return new ArchiveRefused(
      'entry_too_large',
      `entry ${JSON.stringify(name)} inflates to ${size} bytes, past the limit of ${limits.maxEntryBytes} per entry (a decompression bomb?): the archive is refused`,
      name,
    );
  }
  return null;
}

const totalRefusal = (limits: ArchiveLimits, name?: string) =>
  new ArchiveRefused(
    'archive_too_large',
    `the archive inflates past the limit of ${limits.maxTotalBytes} bytes in all (a decompression bomb?): the archive is refused`,
    name,
  );

/** Collects a stream into memory, refusing it as soon as it passes the entry limit. */
async function collect(stream: AsyncIterable<Buffer>, name: string, limits: ArchiveLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    const refusal = sizeRefusal(limits, name, size);
    if (refusal) throw refusal;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function zipError(err: unknown): ArchiveRefused {
  if (err instanceof ArchiveRefused) return err;
  const message = err instanceof Error ? err.message : String(err);
  // yauzl checks names itself (the same rules as safeEntryName) and says so in its message
  if (/^(invalid characters in fileName|absolute path|invalid relative path)/.test(message)) {
    return new ArchiveRefused('unsafe_path', `${message}: the archive is refused`, message.replace(/^[^:]*: /, ''));
  }
  return new ArchiveRefused('corrupt_archive', `the zip archive cannot be read: ${message}`);
}

type KindOf = ReadArchiveOptions['kindOf'] & {};

async function* readZip(source: string | Buffer, limits: ArchiveLimits, read: ReadArchiveOptions['read'] & {}, kindOf: KindOf): AsyncGenerator<ArchiveEntry> {
  // strictFileNames off: yauzl turns the backslashes of old Windows zips into slashes, then checks the name
  const options = { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false, autoClose: false };
  let zip: yauzl.ZipFile;
  try {
    zip = typeof source === 'string' ? await yauzl.openPromise(source, options) : await yauzl.fromBufferPromise(source, options);
  } catch (err) {
    throw zipError(err);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new ArchiveRefused('too_many_entries', `the archive holds ${zip.entryCount} entries, more than the limit of ${limits.maxEntries}`);
    }
    let total = 0;
    const entries = zip.eachEntry();
    while (true) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await entries.next();
      } catch (err) {
        throw zipError(err);
      }
      if (next.done) break;
      const entry = next.value;
      const name = safeEntryName(entry.fileName);
      if (entry.fileName.endsWith('/')) {
        yield { name, kind: 'directory', size: 0 };
        continue;
      }
      // the upper 16 bits are the Unix mode when the archive was made on Unix
      if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
        throw new ArchiveRefused('link_entry', `entry ${JSON.stringify(name)} is a symbolic link: the archive is refused`, name);
      }
      const kind = kindOf(name);
      if (kind === 'ignored' || !read(name, kind)) {
        yield { name, kind, size: entry.uncompressedSize };
        continue;
      }
      if (entry.isEncrypted()) throw new ArchiveRefused('encrypted_entry', `entry ${JSON.stringify(name)} is encrypted`, name);
      const tooLarge = sizeRefusal(limits, name, entry.uncompressedSize);
      if (tooLarge) throw tooLarge;
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes) throw totalRefusal(limits, name);
      let bytes: Buffer;
      try {
        bytes = await collect(await zip.openReadStreamPromise(entry), name, limits);
      } catch (err) {
        if (err instanceof ArchiveRefused) throw err;
        throw new ArchiveRefused('corrupt_archive', `entry ${JSON.stringify(name)} cannot be read: ${err instanceof Error ? err.message : err}`, name);
      }
      yield { name, kind, size: bytes.length, bytes };
    }
  } finally {
    zip.close();
  }
}

/** Counts the bytes a gzip stream inflates to, failing the stream once they pass the limit. */
class ByteBudget extends Transform {
  private seen = 0;
  constructor(private readonly limits: ArchiveLimits) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limits.maxTotalBytes) done(totalRefusal(this.limits));
    else done(null, chunk);
  }
}

async function* readTar(
  input: Readable,
  gzipped: boolean,
  limits: ArchiveLimits,
  read: ReadArchiveOptions['read'] & {},
  kindOf: KindOf,
): AsyncGenerator<ArchiveEntry> {
  const extract = tar.extract();
  const stages: NodeJS.ReadWriteStream[] = gzipped ? [createGunzip(), new ByteBudget(limits)] : [new ByteBudget(limits)];
  let upstreamError: unknown;
  // pipeline destroys extract with the first error, which ends the loop below with it
  const piped = pipeline(input, ...(stages as [Transform]), extract).catch((err) => {
    upstreamError = err;
  });
  let count = 0;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      count++;
      if (count > limits.maxEntries) {
        throw new ArchiveRefused('too_many_entries', `the archive holds more than the limit of ${limits.maxEntries} entries`);
      }
      const name = safeEntryName(header.name);
      if (header.type === 'symlink' || header.type === 'link') {
        throw new ArchiveRefused('link_entry', `entry ${JSON.stringify(name)} is a ${header.type === 'link' ? 'hard' : 'symbolic'} link: the archive is refused`, name);
      }
      const size = header.size ?? 0;
      const kind = header.type === 'file' || header.type === 'contiguous-file' ? kindOf(name) : 'ignored';
      if (header.type === 'directory') {
        entry.resume();
        yield { name, kind: 'directory', size: 0 };
        continue;
      }
      if (kind === 'ignored' || !read(name, kind)) {
        entry.resume();
        yield { name, kind, size };
        continue;
      }
      const tooLarge = sizeRefusal(limits, name, size);
      if (tooLarge) throw tooLarge;
      const bytes = await collect(entry as AsyncIterable<Buffer>, name, limits);
      yield { name, kind, size: bytes.length, bytes };
    }
  } catch (err) {
    if (err instanceof ArchiveRefused) throw err;
    await piped;
    throw tarError(upstreamError ?? err, gzipped);
  } finally {
    extract.destroy();
    input.destroy();
  }
  await piped;
  if (upstreamError) throw tarError(upstreamError, gzipped);
}

function tarError(err: unknown, gzipped: boolean): ArchiveRefused {
  if (err instanceof ArchiveRefused) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ArchiveRefused('corrupt_archive', `the ${gzipped ? 'tar.gz' : 'tar'} archive cannot be read: ${message}`);
}
