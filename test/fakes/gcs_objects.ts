import { createHash } from 'node:crypto';
import { crc32c } from './crc32c';

/**
 * The state behind the fake Cloud Storage server: buckets of live objects, with Cloud Storage's rules
 * for names, generations and preconditions. Noncurrent generations are not kept (as in a bucket
 * without versioning), so asking for one is a 404, as Cloud Storage answers.
 */
export interface StoredObject {
  bucket: string;
  name: string;
  generation: bigint;
  metageneration: bigint;
  contentType: string;
  data: Buffer;
  md5Hash: string;
  crc32c: string;
  timeCreated: string;
  metadata?: Record<string, string>;
}

export class GcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Preconditions {
  ifGenerationMatch?: bigint;
  ifGenerationNotMatch?: bigint;
  ifMetagenerationMatch?: bigint;
  ifMetagenerationNotMatch?: bigint;
}

export interface NewObject {
  contentType?: string;
  md5Hash?: string;
  crc32c?: string;
  metadata?: Record<string, string>;
}

const PRECONDITION_PARAMS = ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const;

export function preconditionsFrom(query: URLSearchParams): Preconditions {
  const found: Preconditions = {};
  for (const key of PRECONDITION_PARAMS) {
    const value = query.get(key);
    if (value === null) continue;
    if (!/^-?\d+$/.test(value)) throw new GcsError(400, 'invalid', `Invalid argument: ${key}=${value} is not an integer`);
    found[key] = BigInt(value);
  }
  return found;
}

/** Cloud Storage's object naming rules. */
export function checkObjectName(name: string | null): string {
  if (!name) throw new GcsError(400, 'required', 'Required parameter: name');
  if (Buffer.byteLength(name, 'utf8') > 1024) throw new GcsError(400, 'invalid', 'The maximum object length is 1024 characters, but got a name with more.');
  if (/[\r\n]/.test(name)) throw new GcsError(400, 'invalid', 'Object name contains a carriage return or line feed.');
  if (name === '.' || name === '..') throw new GcsError(400, 'invalid', 'Object name cannot be "." or "..".');
  if (name.startsWith('.well-known/acme-challenge/')) throw new GcsError(400, 'invalid', 'Object name cannot start with .well-known/acme-challenge/.');
  return name;
}

export class GcsObjects {
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private lastGeneration = 0n;
  /** Which checksums the client sent, and the server verified, for each object it created. */
  readonly verified: Array<{ name: string; md5: boolean; crc32c: boolean }> = [];

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  /** The live object, after checking the bucket, the requested generation and the preconditions. */
  get(bucket: string, name: string, preconditions: Preconditions = {}, generation?: bigint): StoredObject {
    const object = this.objects(bucket).get(name);
    if (!object || (generation !== undefined && generation !== object.generation)) {
      throw new GcsError(404, 'notFound', `No such object: ${bucket}/${name}`);
    }
    check(preconditions, object);
    return object;
  }

  /** Checks preconditions against the live object (or its absence) without reading it. */
  checkWrite(bucket: string, name: string, preconditions: Preconditions): void {
    check(preconditions, this.objects(bucket).get(name));
  }

  /** Creates a new generation. The check and the write happen in one turn of the event loop: atomic. */
  insert(bucket: string, name: string, data: Buffer, fields: NewObject, preconditions: Preconditions): StoredObject {
    const objects = this.objects(bucket);
    checkObjectName(name);
    check(preconditions, objects.get(name));
    const md5 = createHash('md5').update(data).digest('base64');
    const crc = crc32c(data);
    if (fields.md5Hash !== undefined && fields.md5Hash !== md5) {
      throw new GcsError(400, 'invalid', `Provided MD5 hash "${fields.md5Hash}" doesn't match calculated MD5 hash "${md5}".`);
    }
    if (fields.crc32c !== undefined && fields.crc32c !== crc) {
      throw new GcsError(400, 'invalid', `Provided CRC32C "${fields.crc32c}" doesn't match calculated CRC32C "${crc}".`);
    }
    const object: StoredObject = {
      bucket,
      name,
      generation: this.nextGeneration(),
      metageneration: 1n,
      contentType: fields.contentType || 'application/octet-stream',
      data,
      md5Hash: md5,
      crc32c: crc,
      timeCreated: new Date().toISOString(),
      ...(fields.metadata && { metadata: fields.metadata }),
    };
    objects.set(name, object);
    this.verified.push({ name, md5: fields.md5Hash !== undefined, crc32c: fields.crc32c !== undefined });
    return object;
  }

  delete(bucket: string, name: string, preconditions: Preconditions): void {
    this.get(bucket, name, preconditions);
    this.objects(bucket).delete(name);
  }

  /** Names in UTF-8 byte order, as Cloud Storage lists them. */
  list(bucket: string, prefix: string): StoredObject[] {
    return [...this.objects(bucket).values()]
      .filter((object) => object.name.startsWith(prefix))
      .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  }

  private objects(bucket: string): Map<string, StoredObject> {
    const objects = this.buckets.get(bucket);
    if (!objects) throw new GcsError(404, 'notFound', 'The specified bucket does not exist.');
    return objects;
  }

  /** Microseconds since the epoch, as Cloud Storage's generations look, and strictly increasing. */
  private nextGeneration(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.lastGeneration = now > this.lastGeneration ? now : this.lastGeneration + 1n;
    return this.lastGeneration;
  }
}

function check(preconditions: Preconditions, live: StoredObject | undefined): void {
  const generation = live?.generation ?? 0n;
  const failed = (what: string) => new GcsError(412, 'conditionNotMet', `At least one of the pre-conditions you specified did not hold: ${what}`);
  if (preconditions.ifGenerationMatch !== undefined && preconditions.ifGenerationMatch !== generation) throw failed('ifGenerationMatch');
  if (preconditions.ifGenerationNotMatch !== undefined && preconditions.ifGenerationNotMatch === generation) throw failed('ifGenerationNotMatch');
  if (preconditions.ifMetagenerationMatch !== undefined || preconditions.ifMetagenerationNotMatch !== undefined) {
    // A metageneration precondition on an object that does not exist cannot hold.
    if (!live) throw failed('ifMetagenerationMatch');
    if (preconditions.ifMetagenerationMatch !== undefined && preconditions.ifMetagenerationMatch !== live.metageneration) throw failed('ifMetagenerationMatch');
    if (preconditions.ifMetagenerationNotMatch !== undefined && preconditions.ifMetagenerationNotMatch === live.metageneration) throw failed('ifMetagenerationNotMatch');
  }
}

export function objectResource(object: StoredObject, baseUrl: string) {
  const path = `b/${encodeURIComponent(object.bucket)}/o/${encodeURIComponent(object.name)}`;
  const updated = object.timeCreated;
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/${path}`,
    mediaLink: `${baseUrl}/download/storage/v1/${path}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64'),
    timeCreated: object.timeCreated,
    updated,
    timeStorageClassUpdated: object.timeCreated,
    ...(object.metadata && { metadata: object.metadata }),
  };
}
