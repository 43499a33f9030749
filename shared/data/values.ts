/**
 * How a single cell is read, shared by schema inference, the training pass and the encoder so that a
 * value means the same thing everywhere: what counts as missing, as a number, as a boolean.
 */
const MISSING = new Set(['', 'na', 'nan', 'null']);

export function isMissing(cell: string): boolean {
  const t = cell.trim();
  return t.length === 0 || (t.length <= 4 && MISSING.has(t.toLowerCase()));
}

/** NaN when the cell is missing or not a finite number. */
export function parseNumber(cell: string): number {
  const t = cell.trim();
  // Number('') is 0, which would turn an empty cell into a real zero
  if (t.length === 0) return NaN;
  const value = Number(t);
  return Number.isFinite(value) ? value : NaN;
}

/** A time column's value, comparable across rows: a number as it is, or a date in milliseconds; NaN otherwise. */
export function parseTime(cell: string): number {
  const n = parseNumber(cell);
  return Number.isNaN(n) && !isMissing(cell) ? Date.parse(cell.trim()) : n;
}

const TRUE = new Set(['true', 'yes', 't', 'y', '1']);
const FALSE = new Set(['false', 'no', 'f', 'n', '0']);

/** The textual pairs a boolean column may use; 0/1 columns stay numeric. */
export const BOOLEAN_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['true', 'false'],
  ['yes', 'no'],
  ['t', 'f'],
  ['y', 'n'],
];

/** A numeric cell: JSON numbers as sent, CSV strings parsed, booleans as 1/0; null when missing. */
export function numericCell(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const n = parseNumber(value);
    return Number.isNaN(n) ? null : n;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/** 1, 0, or null when the value is missing or not a recognised boolean. */
export function parseBoolean(value: unknown): 0 | 1 | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value === 1 ? 1 : value === 0 ? 0 : null;
  if (typeof value !== 'string') return null;
  const t = value.trim().toLowerCase();
  return TRUE.has(t) ? 1 : FALSE.has(t) ? 0 : null;
}

/** A category as training stores it and the encoder keys it: trimmed strings, numbers and booleans spelled out. */
export function categoryCell(value: unknown): string | null {
  if (typeof value === 'string') return isMissing(value) ? null : value.trim();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  return null;
}

export type FeatureKind = 'numeric' | 'categorical' | 'boolean';
/** A value that is none of its kind's: a word among numbers, "maybe" for a boolean, an object. */
export const UNREADABLE = Symbol('unreadable');

/**
 * What a feature value means, the one reading for a CSV cell of the training file and a JSON value of
 * a scoring request, so that a row copied from the file scores as it trained: a number (numeric), a
 * 0/1 flag (boolean), a category's key (categorical), null when missing, UNREADABLE when it is none
 * of these. A string reads as its cell would: "12.5" is 12.5, "yes" is 1, "" and "NA" are missing.
 */
export function readFeature(kind: FeatureKind, value: unknown): number | string | null | typeof UNREADABLE {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && isMissing(value)) return null;
  if (kind === 'numeric') {
    if (typeof value === 'number') return Number.isFinite(value) ? value : UNREADABLE;
    if (typeof value !== 'string') return UNREADABLE;
    const n = parseNumber(value);
    return Number.isNaN(n) ? UNREADABLE : n;
  }
  if (kind === 'boolean') return parseBoolean(value) ?? UNREADABLE;
  return categoryCell(value) ?? UNREADABLE;
}
