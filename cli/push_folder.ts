import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MloopError } from '../shared/core/errors';
import { untrustedNameProblem } from '../shared/core/object_names';
import { datasetFolderProblem, isHiddenFile, MANIFEST_MARKER, PART_FORMATS, partFormatOf, SUCCESS_MARKER } from '../shared/pipeline/parts/parts_prefix';
import { parseManifest } from '../shared/pipeline/parts/manifest';
import { partsVersion } from '../shared/pipeline/parts/resolve_parts';
import { partsTagsObjectName } from '../shared/pipeline/usecases/on_data_uploaded';
import type { Context } from '../shared/pipeline/context';
import type { RunTags } from '../shared/core/tags';
import type { ObjectMetadata } from '../shared/platform/ports';

/**
 * `mloop push <folder>`: a dataset in parts, as an export leaves it on disk. Its part files go to
 * `datasets/<model>/<name>/` and its completion marker last — the folder's manifest.json, or an empty
 * _SUCCESS — so the ingest reads the folder once, whole. What an earlier push left in the prefix is
 * removed first, markers before parts, so no marker ever stands beside a half-pushed folder.
 */
export async function pushFolder(ctx: Context, folder: string, model: string, options: { name?: string; tags?: RunTags }): Promise<{ object: ObjectMetadata; dataset_version: string; parts: number }> {
  const name = options.name ?? path.basename(path.resolve(folder));
  const problem = datasetFolderProblem(name);
  if (problem) throw new MloopError('invalid_argument', `${problem}; name it with --name`);
  const prefix = `datasets/${model}/${name}/`;
  const entries = fs.readdirSync(folder, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && !isHiddenFile(e.name) && e.name !== MANIFEST_MARKER).map((e) => e.name);
  const parts = files.filter((f) => partFormatOf(f)).sort();
  for (const part of parts) {
    const problem = untrustedNameProblem(prefix + part);
    if (problem) throw new MloopError('invalid_argument', `${path.join(folder, part)} cannot be an object name: ${problem}; rename it`);
  }
  const others = files.filter((f) => !partFormatOf(f));
  if (others.length) throw new MloopError('invalid_argument', `${folder} holds files that are not parts (${PART_FORMATS.map((f) => f.suffix).join(', ')}): ${others.slice(0, 5).join(', ')}; move them out, or prefix them with _`);
  if (parts.length === 0) throw new MloopError('invalid_argument', `${folder} is a folder with no part files (${PART_FORMATS.map((f) => f.suffix).join(', ')}) in it: name a file, or push a folder of parts`);
  const manifestFile = entries.some((e) => e.isFile() && e.name === MANIFEST_MARKER) ? path.join(folder, MANIFEST_MARKER) : null;
  // the folder's own manifest names the parts: checked here, so a bad one fails before anything is uploaded
  const listed = manifestFile ? parseManifest(fs.readFileSync(manifestFile, 'utf8'), prefix).map((p) => p.name) : parts;
  const absent = listed.filter((p) => !parts.includes(p));
  if (absent.length) throw new MloopError('invalid_argument', `${MANIFEST_MARKER} lists parts ${folder} does not hold: ${absent.slice(0, 5).join(', ')}`);

  const { objects } = ctx.platform;
  const bucket = ctx.config.dataBucket;
  const existing = await objects.list(bucket, prefix);
  const markers = [prefix + SUCCESS_MARKER, prefix + MANIFEST_MARKER];
  for (const object of existing.filter((o) => markers.includes(o.name))) await objects.delete(bucket, object.name);
  const keep = new Set([...parts.map((p) => prefix + p), partsTagsObjectName(prefix)]);
  for (const object of existing.filter((o) => !markers.includes(o.name) && !keep.has(o.name))) await objects.delete(bucket, object.name);

  const hashes: Array<{ sha256: string }> = [];
  let size = 0;
  for (const part of parts) {
    const file = path.join(folder, part);
    const uploaded = await objects.putFile(bucket, prefix + part, file, { contentType: part.toLowerCase().endsWith('.csv') ? 'text/csv' : 'application/octet-stream' });
    size += uploaded.size;
    if (listed.includes(part)) hashes.push({ sha256: await sha256Of(file) });
  }
  if (options.tags) await objects.put(bucket, partsTagsObjectName(prefix), JSON.stringify(options.tags), { contentType: 'application/json' });
  else if (await objects.stat(bucket, partsTagsObjectName(prefix))) await objects.delete(bucket, partsTagsObjectName(prefix));
  const marker = manifestFile
    ? await objects.putFile(bucket, prefix + MANIFEST_MARKER, manifestFile, { contentType: 'application/json' })
    : await objects.put(bucket, prefix + SUCCESS_MARKER, '', { contentType: 'application/octet-stream' });
  return { object: { ...marker, name: prefix, size }, dataset_version: partsVersion(hashes), parts: listed.length };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
