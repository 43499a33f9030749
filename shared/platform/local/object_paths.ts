import fs from 'node:fs';
import path from 'node:path';
import { invalid } from '../../core/errors';

/**
 * Bucket and object names come from events and from people, and they become file paths; anything that
 * could leave the bucket folder, alias another name or hide in the temp folder is refused.
 */
export const TMP_DIR = '.mloop-tmp';

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_NAME_BYTES = 1024;

export function bucketDir(root: string, bucket: string): string {
  if (typeof bucket !== 'string' || !BUCKET.test(bucket)) {
    throw invalid(`invalid bucket name ${JSON.stringify(bucket)}: use 2-63 of a-z 0-9 . _ -, starting with a letter or digit`);
  }
  return path.join(root, bucket);
}

/** Why `name` cannot be an object name, or null when it can. */
export function objectNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `it is longer than ${MAX_NAME_BYTES} bytes`;
  if (CONTROL.test(name)) return 'it contains a control character';
  if (name.includes('\\')) return 'it contains a backslash';
  if (name.startsWith('/')) return 'it is absolute';
  if (name.startsWith(TMP_DIR)) return `it starts with ${TMP_DIR}`;
  // Empty and dot segments would make two names share one file, or climb out of the bucket.
  for (const segment of name.split('/')) {
    if (segment === '') return 'it has an empty path segment';
    if (segment === '.' || segment === '..') return `it has a "${segment}" path segment`;
  }
  return null;
}

/** The file of object `name` in bucket `bucket`, after checking both names. */
export function objectPath(root: string, bucket: string, name: string): string {
  const dir = bucketDir(root, bucket);
  const problem = objectNameProblem(name);
  if (problem) throw invalid(`invalid object name ${JSON.stringify(name)}: ${problem}`);
  const file = path.resolve(dir, name);
  if (!isInside(path.resolve(dir), file)) throw invalid(`object name ${JSON.stringify(name)} leaves the bucket`);
  return file;
}

/**
 * Refuses a file whose existing parent folder is reached through a symbolic link that points out of
 * the bucket: the lexical check in objectPath cannot see links.
 */
export function assertNoLinkEscape(root: string, bucket: string, file: string): void {
  let parent: string;
  let base: string;
  try {
    parent = fs.realpathSync(path.dirname(file));
    base = fs.realpathSync(path.join(root, bucket));
  } catch {
    return; // a folder that does not exist yet cannot be a link
  }
  if (!isInside(base, path.join(parent, path.basename(file)))) {
    throw invalid(`object path ${file} leaves the bucket through a symbolic link`);
  }
}

function isInside(dir: string, file: string): boolean {
  return file.startsWith(dir + path.sep);
}
