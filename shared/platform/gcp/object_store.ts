import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type File, type FileMetadata, type StorageOptions } from '@google-cloud/storage';
import { MloopError, invalid, notFound, unavailable } from '../../core/errors';
import { contentTypeFor } from '../content_types';
import { md5Yielding } from '../md5';
import type { ByteRange, ObjectMetadata, ObjectStore, PutOptions } from '../ports';
import { fromHttp } from './errors';

// Cloud Storage's naming rules, checked here so a bad name fails as invalid_argument before any request.
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const MAX_BUCKET_PART = 63;
const MAX_NAME_BYTES = 1024;

/**
 * Cloud Storage through its JSON API. Every upload is checked end to end: the adapter sends the MD5
 * of the bytes, which Cloud Storage verifies before it creates the object, and the client library
 * compares CRC32C after uploads and on every download. Preconditions are Cloud Storage's own
 * `ifGenerationMatch`, so of two racing writers exactly one wins.
 *
 * The client library asks again when a request fails on its way (a connection reset, a keep-alive
 * connection the server closed just as it was reused: the server never saw the request), but only
 * for reads and for writes a generation precondition makes idempotent. For a write or delete without
 * one it turns retries off by setting `retryOptions.autoRetry = false` on the whole Storage client,
 * which `File#save` and `File#delete` then leave off (@google-cloud/storage 7.22): through one shared
 * client, every later read would fail on the first dropped connection. So such writes go through a
 * client of their own.
 */
export class GcsObjectStore implements ObjectStore {
  private readonly storage: Storage;
  private readonly unretried: Storage;

  constructor(options: StorageOptions) {
    this.storage = new Storage(options);
    this.unretried = new Storage(options);
  }

  async put(bucket: string, name: string, data: Buffer | string, options: PutOptions = {}): Promise<ObjectMetadata> {
    const file = this.fileToWrite(bucket, name, options.ifGenerationMatch);
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    const checked = options.checksum !== false;
    try {
      await file.save(body, {
        resumable: false,
        // unchecked, the server still computes md5Hash; the client only spares the CPU of both digests
        validation: checked ? 'crc32c' : false,
        metadata: { contentType: options.contentType ?? contentTypeFor(name), ...(checked ? { md5Hash: await md5Yielding(body) } : {}) },
        preconditionOpts: generationMatch(options.ifGenerationMatch),
      });
    } catch (err) {
      throw fromHttp(err, `writing gs://${bucket}/${name}`);
    }
    return toMetadata(file.metadata);
  }

  /**
   * A resumable upload: a large dataset streams from disk, and a dropped connection resumes where it
   * stopped. The file is hashed first (a local read, cheap next to the upload) so that Cloud Storage
   * can refuse a corrupted upload before the object exists.
   */
  async putFile(bucket: string, name: string, localPath: string, options: PutOptions = {}): Promise<ObjectMetadata> {
    const file = this.fileToWrite(bucket, name, options.ifGenerationMatch);
    let md5Hash: string;
    try {
      md5Hash = await md5OfFile(localPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`local file ${localPath} does not exist`);
      throw err;
    }
    try {
      await file.bucket.upload(localPath, {
        destination: file,
        resumable: true,
        validation: 'crc32c',
        metadata: { contentType: options.contentType ?? contentTypeFor(name), md5Hash },
        preconditionOpts: generationMatch(options.ifGenerationMatch),
      });
    } catch (err) {
      throw fromHttp(err, `uploading ${localPath} to gs://${bucket}/${name}`);
    }
    return toMetadata(file.metadata);
  }

  /**
   * A resumable upload fed as the bytes come. The MD5 cannot be sent ahead here: the client library's
   * CRC32C check after the upload is what catches a corrupted transfer (it deletes the object then).
   */
  async putStream(bucket: string, name: string, source: AsyncIterable<Buffer>, options: PutOptions = {}): Promise<ObjectMetadata> {
    const file = this.fileToWrite(bucket, name, options.ifGenerationMatch);
    try {
      await pipeline(
        source,
        file.createWriteStream({
          resumable: true,
          validation: 'crc32c',
          metadata: { contentType: options.contentType ?? contentTypeFor(name) },
          preconditionOpts: generationMatch(options.ifGenerationMatch),
        }),
      );
    } catch (err) {
      throw fromHttp(err, `uploading to gs://${bucket}/${name}`);
    }
    return toMetadata(file.metadata);
  }

  async get(bucket: string, name: string): Promise<Buffer> {
    const file = this.file(bucket, name);
    try {
      const [content] = await file.download({ validation: 'crc32c' });
      return content;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'CONTENT_DOWNLOAD_MISMATCH') {
        throw unavailable(`gs://${bucket}/${name} arrived with a CRC32C other than the one Cloud Storage stored; read it again`);
      }
      throw fromHttp(err, `reading gs://${bucket}/${name}`);
    }
  }

  /**
   * Streams the generation that is live now, even if a newer one is written while it is read; a
   * missing object is not_found here rather than an error event later.
   */
  async createReadStream(bucket: string, name: string, range?: ByteRange): Promise<Readable> {
    if (range) {
      if (range.end <= range.start) return Readable.from([]);
      const file = this.storage.bucket(bucket).file(name, range.generation ? { generation: range.generation } : {});
      // A part of an object has no checksum of its own to check; the whole file's footer and pages are checked by the reader.
      return file.createReadStream({ start: range.start, end: range.end - 1, validation: false });
    }
    const live = await this.stat(bucket, name);
    if (!live) throw notFound(`object gs://${bucket}/${name} does not exist`);
    return this.storage.bucket(bucket).file(name, { generation: live.generation }).createReadStream({ validation: 'crc32c' });
  }

  async stat(bucket: string, name: string): Promise<ObjectMetadata | null> {
    const file = this.file(bucket, name);
    try {
      const [metadata] = await file.getMetadata();
      return toMetadata(metadata);
    } catch (err) {
      const mapped = fromHttp(err, `reading the metadata of gs://${bucket}/${name}`);
      if (mapped instanceof MloopError && mapped.code === 'not_found') return null;
      throw mapped;
    }
  }

  async list(bucket: string, prefix = ''): Promise<ObjectMetadata[]> {
    checkBucket(bucket);
    try {
      const [files] = await this.storage.bucket(bucket).getFiles({ prefix, autoPaginate: true });
      return files.map((file) => toMetadata(file.metadata));
    } catch (err) {
      throw fromHttp(err, `listing gs://${bucket}/${prefix}`);
    }
  }

  async listNames(bucket: string, prefix = ''): Promise<string[]> {
    checkBucket(bucket);
    try {
      // a partial response (the JSON API's `fields`): no metadata parsed for the objects the reader fetches next
      const [files] = await this.storage.bucket(bucket).getFiles({ prefix, autoPaginate: true, fields: 'items(name),nextPageToken' });
      return files.map((file) => file.name);
    } catch (err) {
      throw fromHttp(err, `listing gs://${bucket}/${prefix}`);
    }
  }

  async delete(bucket: string, name: string, options: { ifGenerationMatch?: string } = {}): Promise<void> {
    const file = this.fileToWrite(bucket, name, options.ifGenerationMatch);
    try {
      await file.delete(generationMatch(options.ifGenerationMatch) ?? {});
    } catch (err) {
      throw fromHttp(err, `deleting gs://${bucket}/${name}`);
    }
  }

  private file(bucket: string, name: string, client = this.storage): File {
    checkBucket(bucket);
    checkName(name);
    return client.bucket(bucket).file(name);
  }

  private fileToWrite(bucket: string, name: string, ifGenerationMatch: string | undefined): File {
    return this.file(bucket, name, ifGenerationMatch === undefined ? this.unretried : this.storage);
  }
}

async function md5OfFile(localPath: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(localPath)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

function generationMatch(generation: string | undefined): { ifGenerationMatch: string } | undefined {
  if (generation === undefined) return undefined;
  if (!/^\d+$/.test(generation)) throw invalid(`ifGenerationMatch must be a decimal generation, got ${JSON.stringify(generation)}`);
  return { ifGenerationMatch: generation };
}

function checkBucket(bucket: string): void {
  const parts = typeof bucket === 'string' ? bucket.split('.') : [];
  if (!BUCKET.test(bucket) || parts.some((part) => part.length === 0 || part.length > MAX_BUCKET_PART)) {
    throw invalid(`invalid bucket name ${JSON.stringify(bucket)}: a-z 0-9 _ -, up to 63 between dots, starting and ending with a letter or digit`);
  }
}

function checkName(name: string): void {
  const problem =
    typeof name !== 'string' || name.length === 0
      ? 'it is empty'
      : Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES
        ? `it is longer than ${MAX_NAME_BYTES} bytes`
        : /[\r\n]/.test(name)
          ? 'it contains a line break'
          : name === '.' || name === '..'
            ? 'it is "." or ".."'
            : name.startsWith('.well-known/acme-challenge/')
              ? 'it starts with .well-known/acme-challenge/'
              : null;
  if (problem) throw invalid(`invalid object name ${JSON.stringify(name)}: ${problem}`);
}

function toMetadata(metadata: FileMetadata): ObjectMetadata {
  return {
    bucket: metadata.bucket!,
    name: metadata.name!,
    generation: String(metadata.generation),
    md5Hash: metadata.md5Hash!,
    size: Number(metadata.size),
    contentType: metadata.contentType ?? 'application/octet-stream',
    updated: metadata.updated!,
  };
}
