import { createHash } from 'node:crypto';
import { MloopError } from '../../core/errors';
import { shortHash } from '../../core/ids';
import { readCsv, STOP } from '../../data/csv';
import type { ObjectMetadata } from '../../platform/ports';
import type { Context } from '../context';
import type { DatasetDoc, DatasetPart } from '../store/documents';
import { columnDifference } from '../training/compose_dataset';
import { isHiddenFile, MANIFEST_MARKER, PART_FORMATS, partFormatOf, SUCCESS_MARKER, type PartsObject } from './parts_prefix';
import { MAX_PARTS, parseManifest, type ManifestPart } from './manifest';

/**
 * Which parts make the dataset of a prefix, at the moment one of its objects' events is handled:
 *
 * - with a `manifest.json`, the parts it lists, once every one is there (an event of a part that
 *   completes it reads the prefix as the manifest's own event would; until then each says what it waits for);
 * - else, on `_SUCCESS`'s event, the part files then in the prefix: exports write it last;
 * - a part's event alone reads nothing.
 *
 * The version is the parts' content hashes in name order, so however the events arrive (marker first,
 * redelivered, a late part's event after the marker's) the prefix is the same version, and the ingest's
 * request id (upload:<model>:<version>) makes it one run.
 */
export type PartsResolution =
  | { ignore: string }
  | { model: string; located: Pick<DatasetDoc, 'object' | 'parts'>; version: string; reject?: string };

export async function resolveParts(ctx: Context, bucket: string, target: PartsObject): Promise<PartsResolution> {
  const { objects } = ctx.platform;
  const { prefix, model } = target;
  const manifest = await objects.stat(bucket, prefix + MANIFEST_MARKER);
  if (manifest) return fromManifest(ctx, target, manifest);
  const hint = `${prefix} is read once ${prefix}${SUCCESS_MARKER} (or ${MANIFEST_MARKER}) lands, all its parts together`;
  if (target.role === 'part') return { ignore: `a part of a dataset in parts: ${hint}` };
  if (target.role === 'other') return { ignore: `not a part: ${hint}, and only its ${partSuffixes()} files directly in it are parts` };
  if (target.role === 'manifest') return { ignore: `${prefix}${MANIFEST_MARKER} no longer exists` };
  const marker = await objects.stat(bucket, prefix + SUCCESS_MARKER);
  if (!marker) return { ignore: `${prefix}${SUCCESS_MARKER} no longer exists` };
  const listed: ObjectMetadata[] = [];
  const refused: string[] = [];
  for (const object of await objects.list(bucket, prefix)) {
    const file = object.name.slice(prefix.length);
    // markers, checksums, a failed job's _temporary/, mloop's own _tags.json and the empty object the
    // Cloud console makes for a folder are not data
    if (file === '' || isHiddenFile(file.split('/')[0])) continue;
    if (file.includes('/') || !partFormatOf(file)) refused.push(file);
    else listed.push(object);
  }
  const base = (parts: DatasetPart[]) => locate(bucket, prefix, marker, parts);
  if (refused.length) {
    const why = `${prefix} holds ${refused.length === 1 ? 'a file that is' : 'files that are'} not ${partSuffixes()} parts directly in it: ${sample(refused)} (names starting with _ or . are skipped)`;
    return { model, located: base([]), version: shortHash(`refused:${prefix}\n${refused.join('\n')}\n${marker.generation}`), reject: why };
  }
  if (listed.length === 0) return { ignore: `${prefix}${SUCCESS_MARKER} landed but ${prefix} holds no part yet: write ${SUCCESS_MARKER} after the parts (it is read when it lands), or list them in ${MANIFEST_MARKER}` };
  if (listed.length > MAX_PARTS) return { model, located: base([]), version: shortHash(`many:${prefix}\n${marker.generation}`), reject: `${prefix} holds ${listed.length} parts, more than ${MAX_PARTS}` };
  const formats = new Set(listed.map((o) => partFormatOf(o.name)));
  if (formats.size > 1) return { model, located: base([]), version: shortHash(`formats:${prefix}\n${listed.map((o) => o.name).join('\n')}\n${marker.generation}`), reject: `${prefix} mixes part formats (${[...formats].join(', ')}); a dataset's parts are all one format` };
  listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts = await hashed(ctx, listed);
  return { model, located: base(parts), version: partsVersion(parts) };
}

async function fromManifest(ctx: Context, target: PartsObject, manifest: ObjectMetadata): Promise<PartsResolution> {
  const { objects } = ctx.platform;
  const { prefix, model } = target;
  const bytes = await objects.get(manifest.bucket, manifest.name);
  const rejected = (reason: string): PartsResolution => ({
    model,
    located: locate(manifest.bucket, prefix, manifest, []),
    // a manifest that cannot be used is named by its own bytes: the same manifest is refused once
    version: shortHash(bytes),
    reject: reason,
  });
  let listed: ManifestPart[];
  try {
    listed = parseManifest(bytes.toString('utf8'), prefix);
  } catch (err) {
    if (err instanceof MloopError) return rejected(err.message);
    throw err;
  }
  const stats = await Promise.all(listed.map((p) => objects.stat(manifest.bucket, prefix + p.name)));
  const missing = listed.filter((_, i) => !stats[i]).map((p) => p.name);
  if (missing.length) {
    const from = target.role === 'manifest' ? '' : `${target.file} landed; `;
    return { ignore: `${from}waiting for ${missing.length} of the ${listed.length} parts ${prefix}${MANIFEST_MARKER} lists: ${sample(missing)} (read when the last one lands)` };
  }
  const present = stats as ObjectMetadata[];
  for (const [i, part] of listed.entries()) {
    const stat = present[i];
    if (part.size !== undefined && part.size !== stat.size) return rejected(`${prefix}${part.name} is ${stat.size} bytes, ${MANIFEST_MARKER} says ${part.size}`);
    if (part.md5Hash !== undefined && part.md5Hash !== stat.md5Hash) return rejected(`${prefix}${part.name}'s MD5 is ${stat.md5Hash}, ${MANIFEST_MARKER} says ${part.md5Hash}`);
  }
  const parts = await hashed(ctx, present);
  for (const [i, part] of listed.entries()) {
    if (part.sha256 !== undefined && part.sha256 !== parts[i].sha256) return rejected(`${prefix}${part.name}'s SHA-256 is ${parts[i].sha256}, ${MANIFEST_MARKER} says ${part.sha256}`);
  }
  return { model, located: locate(manifest.bucket, prefix, manifest, parts), version: partsVersion(parts) };
}

/** The version of a dataset in parts: its parts' content hashes in name order. */
export const partsVersion = (parts: readonly Pick<DatasetPart, 'sha256'>[]) => shortHash(`parts\n${parts.map((p) => p.sha256).join('\n')}\n`);

/** The prefix as the dataset's `object`: the marker's generation and MD5, the parts' total size. */
function locate(bucket: string, prefix: string, marker: ObjectMetadata, parts: DatasetPart[]): Pick<DatasetDoc, 'object' | 'parts'> {
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  return { object: { bucket, name: prefix, generation: marker.generation, md5Hash: marker.md5Hash, size }, parts };
}

/** Each part's SHA-256, and its MD5 checked against the listing's: a part rewritten meanwhile is read again on redelivery. */
async function hashed(ctx: Context, listed: ObjectMetadata[]): Promise<DatasetPart[]> {
  const parts: DatasetPart[] = [];
  for (const object of listed) {
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    for await (const chunk of await ctx.platform.objects.createReadStream(object.bucket, object.name)) {
      sha.update(chunk as Buffer);
      md5.update(chunk as Buffer);
    }
    if (md5.digest('base64') !== object.md5Hash) throw new MloopError('unavailable', `${object.name} changed while its dataset was read; read again on redelivery`);
    parts.push({ name: object.name, generation: object.generation, md5Hash: object.md5Hash, size: object.size, sha256: sha.digest('hex') });
  }
  return parts;
}

/**
 * Why the parts cannot be one CSV (their headers differ, naming the part), or null. Empty parts, as an
 * export writes for an empty partition, have no header and are left out of the comparison.
 */
export async function partsHeaderProblem(ctx: Context, located: Pick<DatasetDoc, 'object' | 'parts'>): Promise<string | null> {
  let reference: { name: string; header: string[] } | null = null;
  // Parquet parts are compared as they are read (data/table_parts.ts), from their footers
  if (!located.parts?.length || partFormatOf(located.parts[0].name) !== 'csv') return null;
  for (const part of located.parts) {
    if (part.size === 0) continue;
    const header = await firstRecord(ctx, located.object.bucket, part.name);
    if (!reference) {
      reference = { name: part.name, header };
      continue;
    }
    const what = columnDifference(reference.header, header);
    if (!what) continue;
    return `part ${part.name}'s header does not match ${reference.name}'s: it ${what}; every part of a dataset has the same columns (expected ${reference.header.map((c) => c.trim()).join(',')})`;
  }
  return null;
}

async function firstRecord(ctx: Context, bucket: string, name: string): Promise<string[]> {
  let header: string[] = [];
  await readCsv(
    await ctx.platform.objects.createReadStream(bucket, name),
    (h) => {
      header = h;
    },
    () => STOP,
  );
  return header;
}

const partSuffixes = () => PART_FORMATS.map((f) => f.suffix).join(' or ');
const sample = (names: string[]) => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);
