import { MloopError } from '../core/errors';
import { BOOLEAN_PAIRS, isMissing, parseNumber } from './values';

/**
 * What each column is, decided from a sample of rows: a feature of some kind, or dropped with a reason a
 * person can check. Also which target values are the two classes.
 */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'dropped';
export const DROP_REASONS = ['target', 'id-like', 'constant', 'high-cardinality', 'user-drop', 'empty'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** One-hot width per categorical column; rarer values encode as unknown. */
export const MAX_CATEGORIES = 50;

export interface ColumnSchema {
  name: string;
  /** Position in the header. */
  index: number;
  kind: ColumnKind;
  reason?: DropReason;
  /** Counted over the sample. */
  missing: number;
  unique: number;
}

export interface TargetSpec {
  name: string;
  index: number;
  /** The value meaning class 1, spelled as in the data (or as configured when the sample lacks it). */
  positive: string;
  negative: string;
}

export interface InferredSchema {
  columns: ColumnSchema[];
  target: TargetSpec;
}

export interface InferOptions {
  target: string;
  positiveClass?: string | number;
  drop?: string[];
}

/** Target values compare trimmed, case-insensitively, and numerically when numeric ("1.0" is "1"). */
function canonical(value: string): string {
  const t = value.trim().toLowerCase();
  const n = parseNumber(t);
  return Number.isNaN(n) ? t : String(n);
}

const KNOWN_PAIRS: ReadonlyArray<readonly [string, string]> = [['1', '0'], ['true', 'false'], ['yes', 'no']];

const quoted = (values: Iterable<string>) => [...values].map((v) => `"${v}"`).join(', ');

/** Maps a raw target cell to its class; null when missing or neither class. */
export function targetLabeler(target: TargetSpec): (cell: string) => 0 | 1 | null {
  const positive = canonical(target.positive);
  const negative = canonical(target.negative);
  return (cell) => {
    if (isMissing(cell)) return null;
    const c = canonical(cell);
    return c === positive ? 1 : c === negative ? 0 : null;
  };
}

function inferTarget(header: string[], sample: string[][], opts: InferOptions): TargetSpec {
  const name = opts.target;
  const index = header.indexOf(name);
  if (index < 0) {
    const near = header.find((h) => h.toLowerCase() === name.toLowerCase());
    const hint = near ? ` Did you mean "${near}"?` : '';
    throw new MloopError(
      'invalid_argument',
      `target column "${name}" is not in the file (columns: ${header.join(', ')}).${hint} Set "target" in mloop.json or pass --target.`,
      { columns: header },
    );
  }
  const classes = new Map<string, string>();
  for (const row of sample) {
    const cell = row[index];
    if (!isMissing(cell)) {
      const c = canonical(cell);
      if (!classes.has(c)) classes.set(c, cell.trim());
    }
  }
  const found = quoted(classes.values());
  const where = `in the first ${sample.length} rows`;
  if (classes.size === 0) {
    throw new MloopError('invalid_argument', `target column "${name}" has no values ${where}`);
  }
  if (classes.size > 2) {
    const shown = quoted([...classes.values()].slice(0, 10));
    throw new MloopError(
      'invalid_argument',
      `target column "${name}" must have exactly 2 classes for binary classification; found ${classes.size} values ${where}: ${shown}${classes.size > 10 ? ', …' : ''}`,
    );
  }
  const seen = [...classes.keys()];
  const single = () =>
    new MloopError('invalid_argument', `target column "${name}" has a single value ${found} ${where}; binary classification needs two classes`);

  if (opts.positiveClass !== undefined) {
    const wanted = String(opts.positiveClass);
    const pc = canonical(wanted);
    if (classes.size === 2) {
      if (!classes.has(pc)) {
        throw new MloopError('invalid_argument', `positive_class "${wanted}" is not a value of target column "${name}" (found ${found})`);
      }
      const other = seen.find((c) => c !== pc)!;
      return { name, index, positive: classes.get(pc)!, negative: classes.get(other)! };
    }
    // Rare positives can be absent from a sample; the full pass checks that they exist.
    if (classes.has(pc)) throw single();
    return { name, index, positive: wanted, negative: classes.get(seen[0])! };
  }

  if (classes.size === 2) {
    const pair = KNOWN_PAIRS.find(([p, n]) => classes.has(p) && classes.has(n));
    if (!pair) {
      throw new MloopError(
        'invalid_argument',
        `target column "${name}" has values ${found}; set "positive_class" in mloop.json to the value that marks the positive class (for example "positive_class": "${classes.get(seen[0])}")`,
      );
    }
    return { name, index, positive: classes.get(pair[0])!, negative: classes.get(pair[1])! };
  }
  const negativeOnly = KNOWN_PAIRS.find(([, n]) => n === seen[0]);
  if (!negativeOnly) throw single();
  return { name, index, positive: negativeOnly[0], negative: classes.get(seen[0])! };
}

/** `id`, `user_id`, `userId`, `USERID` — but not `paid` or `valid`. */
const ID_NAME = /(^|[_\-\s.])(id|Id|ID)$|[a-z0-9]Id$|[A-Za-z0-9]ID$/;
const looksLikeIdName = (name: string) => ID_NAME.test(name);

function inferColumn(name: string, index: number, sample: string[][]): ColumnSchema {
  let missing = 0;
  const counts = new Map<string, number>();
  const numbers = new Set<number>();
  let numeric = true;
  let integers = true;
  for (const row of sample) {
    const cell = row[index];
    if (isMissing(cell)) {
      missing++;
      continue;
    }
    const value = cell.trim();
    counts.set(value, (counts.get(value) ?? 0) + 1);
    if (numeric) {
      const n = parseNumber(value);
      if (Number.isNaN(n)) numeric = false;
      else {
        numbers.add(n);
        if (!Number.isInteger(n)) integers = false;
      }
    }
  }
  const present = sample.length - missing;
  const base = { name, index, missing };
  if (present === 0) return { ...base, unique: 0, kind: 'dropped', reason: 'empty' };

  if (numeric) {
    const unique = numbers.size;
    if (unique === 1) return { ...base, unique, kind: 'dropped', reason: 'constant' };
    if (integers && unique === present && looksLikeIdName(name)) return { ...base, unique, kind: 'dropped', reason: 'id-like' };
    return { ...base, unique, kind: 'numeric' };
  }

  const lower = new Set([...counts.keys()].map((v) => v.toLowerCase()));
  if (lower.size === 1) return { ...base, unique: 1, kind: 'dropped', reason: 'constant' };
  if (lower.size === 2 && BOOLEAN_PAIRS.some(([t, f]) => lower.has(t) && lower.has(f))) {
    return { ...base, unique: 2, kind: 'boolean' };
  }

  const unique = counts.size;
  const ratio = unique / present;
  if (ratio > 0.5 && (unique > 100 || looksLikeIdName(name))) return { ...base, unique, kind: 'dropped', reason: 'id-like' };
  const top = [...counts.values()].sort((a, b) => b - a).slice(0, MAX_CATEGORIES);
  const covered = top.reduce((sum, c) => sum + c, 0) / present;
  // When the kept vocabulary would describe less than half of the rows, one-hot adds width, not signal.
  if (covered < 0.5) return { ...base, unique, kind: 'dropped', reason: 'high-cardinality' };
  return { ...base, unique, kind: 'categorical' };
}

export function inferSchema(header: string[], sampleRows: string[][], opts: InferOptions): InferredSchema {
  const userDrop = new Set(opts.drop ?? []);
  const unknown = [...userDrop].filter((name) => !header.includes(name));
  if (unknown.length > 0) {
    throw new MloopError('invalid_argument', `drop lists ${quoted(unknown)}, not in the file (columns: ${header.join(', ')})`);
  }
  const target = inferTarget(header, sampleRows, opts);
  const columns = header.map((name, index): ColumnSchema => {
    if (index === target.index) return { name, index, kind: 'dropped', reason: 'target', missing: 0, unique: 2 };
    const inferred = inferColumn(name, index, sampleRows);
    if (userDrop.has(name)) return { ...inferred, kind: 'dropped', reason: 'user-drop' };
    return inferred;
  });
  if (!columns.some((c) => c.kind !== 'dropped')) {
    const why = columns.filter((c) => c.reason !== 'target').map((c) => `${c.name} (${c.reason})`);
    throw new MloopError('invalid_argument', `no usable feature columns: ${why.join(', ') || 'the file has only the target'}`);
  }
  return { columns, target };
}
