import fs from 'node:fs';
import path from 'node:path';
import { MloopError } from '../../core/errors';
import { readArchive, type ArchiveLimits } from '../../data/images/archive';
import { EXPLAINER_FILE } from '../../ml/explain/explainer_file';
import { ERROR_MODEL_FILE } from '../../ml/error_model';
import { ARTIFACT_FILES } from './model_files';
import { REFERENCE_FILE } from './reference_file';

/**
 * A model version folder brought from elsewhere (`mloop train --out`), as a folder or a zip of it: the
 * files mloop knows by name, read with bounds. A zip is untrusted: it is read by the image archives'
 * reader (no `../`, absolute paths, links, duplicates; entry and total sizes bounded); a folder's
 * symbolic links are refused as well. Other files (a report's thumbnails, notes) are left behind.
 */
export const BUNDLE_FILES: readonly string[] = [
  ARTIFACT_FILES.manifest,
  ARTIFACT_FILES.model,
  ARTIFACT_FILES.anomaly,
  ARTIFACT_FILES.holdout,
  ARTIFACT_FILES.curves,
  ARTIFACT_FILES.report,
  ARTIFACT_FILES.card,
  REFERENCE_FILE,
  EXPLAINER_FILE,
  ERROR_MODEL_FILE,
];

/** A forest's ONNX can be large; no model version folder needs more than this. */
export const BUNDLE_LIMITS: ArchiveLimits = { maxEntries: 1_000, maxEntryBytes: 512 * 1024 * 1024, maxTotalBytes: 1024 * 1024 * 1024 };

export type VersionBundle = Map<string, Buffer>;

/** The known files of a zip, at its root or in its one top folder (`zip -r out.zip out/`). */
export async function readBundleZip(source: string | Buffer): Promise<VersionBundle> {
  const found = new Map<string, Buffer>();
  const kindOf = (name: string) => (name.split('/').length <= 2 && BUNDLE_FILES.includes(path.posix.basename(name)) ? 'file' : 'ignored') as 'file' | 'ignored';
  for await (const entry of readArchive(source, { limits: BUNDLE_LIMITS, kindOf })) {
    if (entry.bytes) found.set(entry.name, entry.bytes);
  }
  const roots = new Set([...found.keys()].filter((name) => path.posix.basename(name) === ARTIFACT_FILES.manifest).map((name) => path.posix.dirname(name)));
  if (roots.size === 0) throw new MloopError('invalid_argument', `the zip holds no ${ARTIFACT_FILES.manifest}, at its root or in one top folder: zip the folder \`mloop train --out\` wrote`);
  if (roots.size > 1) throw new MloopError('invalid_argument', `the zip holds ${roots.size} version folders (${[...roots].join(', ')}): import one at a time`);
  const [root] = roots;
  const bundle: VersionBundle = new Map();
  for (const [name, bytes] of found) if (path.posix.dirname(name) === root) bundle.set(path.posix.basename(name), bytes);
  return bundle;
}

export function readBundleFolder(dir: string): VersionBundle {
  const bundle: VersionBundle = new Map();
  let total = 0;
  for (const name of BUNDLE_FILES) {
    const file = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) throw new MloopError('invalid_argument', `${file} is a symbolic link: copy the file itself into the folder`);
    if (!stat.isFile()) continue;
    total += stat.size;
    if (stat.size > BUNDLE_LIMITS.maxEntryBytes || total > BUNDLE_LIMITS.maxTotalBytes) {
      throw new MloopError('payload_too_large', `${file}: the folder's files pass the limit of ${BUNDLE_LIMITS.maxEntryBytes} bytes a file, ${BUNDLE_LIMITS.maxTotalBytes} in all`);
    }
    bundle.set(name, fs.readFileSync(file));
  }
  if (!bundle.has(ARTIFACT_FILES.manifest)) throw new MloopError('invalid_argument', `${dir} holds no ${ARTIFACT_FILES.manifest}: give the folder \`mloop train --out\` wrote, or a zip of it`);
  return bundle;
}

/** A folder or a .zip file, by what the path is. */
export async function readBundle(source: string): Promise<VersionBundle> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new MloopError('not_found', `${source} does not exist: give the folder \`mloop train --out\` wrote, or a zip of it`);
  }
  return stat.isDirectory() ? readBundleFolder(source) : readBundleZip(source);
}
