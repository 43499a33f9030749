import { errorMessage, MloopError } from '../../core/errors';
import { untrustedNameProblem } from '../../core/object_names';
import { isHiddenFile, MANIFEST_MARKER, PART_FORMATS, partFormatOf, SUCCESS_MARKER } from './parts_prefix';

/**
 * `manifest.json`, the marker that says which parts make the dataset:
 *
 *     {"parts": ["part-00000.csv", {"name": "part-00001.csv", "size": 1234, "md5Hash": "<base64>", "sha256": "<hex>"}]}
 *
 * Names are relative to the manifest's folder (or the full object name inside it). Sizes and hashes are
 * optional; given, they are checked against the parts. Unlike `_SUCCESS`, it tells which parts are still
 * missing, so it may land before them.
 */
export interface ManifestPart {
  /** The name inside the prefix. */
  name: string;
  size?: number;
  md5Hash?: string;
  sha256?: string;
}

export const MAX_PARTS = 10_000;

const FIELDS = new Set(['name', 'size', 'md5Hash', 'sha256']);

/** The manifest's parts, in name order, or an invalid_argument error saying what is wrong. */
export function parseManifest(text: string, prefix: string): ManifestPart[] {
  const fail = (why: string) => new MloopError('invalid_argument', `${prefix}${MANIFEST_MARKER}: ${why}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON: ${errorMessage(err)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('must be a JSON object {"parts": [...]}');
  const unknown = Object.keys(raw).filter((k) => k !== 'parts');
  if (unknown.length) throw fail(`unknown field "${unknown[0]}"; a manifest has only "parts"`);
  const parts = (raw as { parts?: unknown }).parts;
  if (!Array.isArray(parts) || parts.length === 0) throw fail('"parts" must be a non-empty list of part names');
  if (parts.length > MAX_PARTS) throw fail(`lists ${parts.length} parts, more than ${MAX_PARTS}`);
  const seen = new Set<string>();
  const listed = parts.map((entry, i) => {
    const part = manifestEntry(entry, i, prefix, fail);
    if (seen.has(part.name)) throw fail(`part "${part.name}" is listed twice`);
    seen.add(part.name);
    return part;
  });
  const formats = new Set(listed.map((p) => partFormatOf(p.name)));
  if (formats.size > 1) throw fail(`parts of different formats (${[...formats].join(', ')}); a dataset's parts are all one format`);
  return listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function manifestEntry(entry: unknown, i: number, prefix: string, fail: (why: string) => MloopError): ManifestPart {
  const at = `parts[${i}]`;
  const object = typeof entry === 'string' ? { name: entry } : entry;
  if (typeof object !== 'object' || object === null || Array.isArray(object)) throw fail(`${at} must be a name or {"name": ...}`);
  const unknown = Object.keys(object).find((k) => !FIELDS.has(k));
  if (unknown) throw fail(`${at} has unknown field "${unknown}" (name, size, md5Hash, sha256)`);
  const { name: given, size, md5Hash, sha256 } = object as Record<string, unknown>;
  if (typeof given !== 'string') throw fail(`${at}.name must be a string`);
  const problem = untrustedNameProblem(given);
  if (problem) throw fail(`${at} name ${JSON.stringify(given)} is refused: ${problem}`);
  const name = given.startsWith(prefix) ? given.slice(prefix.length) : given;
  if (name.includes('/')) throw fail(`${at} "${given}" is not directly in ${prefix}: parts sit beside the manifest`);
  if (isHiddenFile(name) || name === SUCCESS_MARKER || name === MANIFEST_MARKER) throw fail(`${at} "${name}" is a marker or hidden file, not a part`);
  if (!partFormatOf(name)) throw fail(`${at} "${name}" is not a part file a dataset can hold (${PART_FORMATS.map((f) => f.suffix).join(', ')})`);
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) throw fail(`${at}.size must be a whole number of bytes`);
  if (md5Hash !== undefined && (typeof md5Hash !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(md5Hash))) throw fail(`${at}.md5Hash must be a base64 MD5, as Cloud Storage reports it`);
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256))) throw fail(`${at}.sha256 must be 64 hex digits`);
  return { name, ...(size !== undefined ? { size: size as number } : {}), ...(md5Hash !== undefined ? { md5Hash: md5Hash as string } : {}), ...(sha256 !== undefined ? { sha256: (sha256 as string).toLowerCase() } : {}) };
}
