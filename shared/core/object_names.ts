/**
 * Object names arrive from whoever can write to a bucket, or from a manifest they wrote: they become
 * prefixes, document fields and, locally, file paths, so a name that could climb out of its prefix or
 * hide characters from a log is refused before anything reads it.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why `name` cannot be trusted as an object name (relative, plain segments), or null. */
export function untrustedNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > 1024) return 'it is longer than 1024 characters';
  if (CONTROL.test(name)) return 'it contains a control character';
  if (name.includes('\\')) return 'it contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(name)) return 'it is absolute';
  for (const segment of name.split('/')) {
    if (segment === '') return 'it has an empty path segment';
    if (segment === '.' || segment === '..') return `it has a "${segment}" path segment`;
  }
  return null;
}
