import { MloopError } from '../core/errors';
import type { ColumnProfile } from './column_profiler';
import { isMissing, parseNumber } from './values';

/**
 * What the target column asks for — binary or multiclass classification, or regression — and which
 * values are its classes, decided from the whole file's distinct values: set in mloop.json, or detected.
 * Detection: two classes are binary; a numeric target with fractions or more than MAX_CLASSES values is
 * a regression; up to MAX_CLASSES distinct values (strings or integers) are classes.
 */
export type Task = 'binary' | 'multiclass' | 'regression';

export const MAX_CLASSES = 50;
/** Each of train, validation and test needs a row of each class, or its loss or AUC is undefined. */
export const MIN_CLASS_ROWS = 3;

export interface TargetSpec {
  name: string;
  index: number;
  task: Task;
  /** Binary: [negative, positive]; multiclass: the class names, index = label; regression: null. Spelled as in the data. */
  classes: string[] | null;
  /** Rows per class, in the order of `classes`. */
  counts: number[] | null;
}

export interface TargetOptions {
  task?: Task;
  positiveClass?: string | number;
}

/** Target values compare trimmed, case-insensitively, and numerically when numeric ("1.0" is "1"). */
function canonical(value: string): string {
  const t = value.trim().toLowerCase();
  const n = parseNumber(t);
  return Number.isNaN(n) ? t : String(n);
}

const KNOWN_PAIRS: ReadonlyArray<readonly [string, string]> = [['1', '0'], ['true', 'false'], ['yes', 'no']];

const quoted = (values: Iterable<string>) => [...values].map((v) => `"${v}"`).join(', ');

/** Maps a raw target cell to its label: the class index, or the value for a regression; null to reject. */
export function targetLabeler(target: TargetSpec): (cell: string) => number | null {
  if (target.task === 'regression') {
    return (cell) => {
      const v = parseNumber(cell);
      return Number.isNaN(v) ? null : v;
    };
  }
  const index = new Map(target.classes!.map((c, k) => [canonical(c), k]));
  return (cell) => (isMissing(cell) ? null : (index.get(canonical(cell)) ?? null));
}

/** Why a row with this target cell is rejected, given the cell is present. */
export function targetRejection(target: TargetSpec, cell: string): string {
  if (target.task === 'regression') return `target "${target.name}" is "${cell.trim()}", not a number`;
  const expected = target.classes!.length === 2 ? `"${target.classes![1]}" or "${target.classes![0]}"` : `one of ${quoted(target.classes!)}`;
  return `target "${target.name}" is "${cell.trim()}", expected ${expected}`;
}

interface Seen {
  spelling: string;
  count: number;
}

function classesOf(profile: ColumnProfile): Map<string, Seen> {
  const classes = new Map<string, Seen>();
  for (const { value, count } of profile.values) {
    const c = canonical(value);
    const seen = classes.get(c);
    if (seen) seen.count += count;
    else classes.set(c, { spelling: value, count });
  }
  return classes;
}

function detectTask(profile: ColumnProfile, classes: Map<string, Seen>, opts: TargetOptions): Task {
  if (opts.task) return opts.task;
  if (opts.positiveClass !== undefined) return 'binary';
  const numeric = profile.numeric > 0 && profile.nonNumeric === 0;
  if (numeric && (!profile.integers || profile.capped || classes.size > MAX_CLASSES)) return 'regression';
  if (classes.size <= 2) return 'binary';
  if (classes.size <= MAX_CLASSES && !profile.capped) return 'multiclass';
  const first = profile.firstNonNumeric;
  const hint = first ? ` (a regression needs numbers: line ${first.line} has "${first.value}")` : '';
  throw new MloopError(
    'invalid_argument',
    `target column "${profile.name}" has ${profile.capped ? `more than ${profile.distinct}` : classes.size} distinct values, more than the ${MAX_CLASSES} classes mloop classifies${hint}; set "task" in mloop.json`,
  );
}

function binary(profile: ColumnProfile, classes: Map<string, Seen>, positiveClass: string | number | undefined): [string, string] {
  const name = profile.name;
  const found = quoted([...classes.values()].map((s) => s.spelling));
  const seen = [...classes.keys()];
  if (positiveClass !== undefined && classes.size > 2) {
    // The configured class and the most frequent other value; rows with any third value are rejected one by one.
    const pc = canonical(String(positiveClass));
    if (!classes.has(pc)) {
      throw new MloopError('invalid_argument', `positive_class "${positiveClass}" is not a value of target column "${name}" (found ${found})`);
    }
    const negative = seen.filter((c) => c !== pc).reduce((a, b) => (classes.get(b)!.count > classes.get(a)!.count ? b : a));
    return [classes.get(negative)!.spelling, classes.get(pc)!.spelling];
  }
  if (classes.size > 2) {
    const shown = quoted([...classes.values()].slice(0, 10).map((s) => s.spelling));
    throw new MloopError(
      'invalid_argument',
      `target column "${name}" must have exactly 2 classes for binary classification; found ${classes.size} values: ${shown}${classes.size > 10 ? ', …' : ''}`,
    );
  }
  const single = () => new MloopError('invalid_argument', `target column "${name}" has a single value ${found}; binary classification needs two classes`);
  if (positiveClass !== undefined) {
    const wanted = String(positiveClass);
    const pc = canonical(wanted);
    if (classes.size === 2) {
      if (!classes.has(pc)) {
        throw new MloopError('invalid_argument', `positive_class "${wanted}" is not a value of target column "${name}" (found ${found})`);
      }
      return [classes.get(seen.find((c) => c !== pc)!)!.spelling, classes.get(pc)!.spelling];
    }
    if (classes.has(pc)) throw single();
    return [classes.get(seen[0])!.spelling, wanted];
  }
  if (classes.size === 2) {
    const pair = KNOWN_PAIRS.find(([p, n]) => classes.has(p) && classes.has(n));
    if (!pair) {
      throw new MloopError(
        'invalid_argument',
        `target column "${name}" has values ${found}; set "positive_class" in mloop.json to the value that marks the positive class (for example "positive_class": "${classes.get(seen[0])!.spelling}")`,
      );
    }
    return [classes.get(pair[1])!.spelling, classes.get(pair[0])!.spelling];
  }
  const negativeOnly = KNOWN_PAIRS.find(([, n]) => n === seen[0]);
  if (!negativeOnly) throw single();
  return [classes.get(seen[0])!.spelling, negativeOnly[0]];
}

function ordered(classes: Map<string, Seen>): string[] {
  const keys = [...classes.keys()];
  const numeric = keys.every((k) => !Number.isNaN(Number(k)));
  keys.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((k) => classes.get(k)!.spelling);
}

/** Throws, with what to change, when the target cannot be trained on. */
export function inferTarget(profile: ColumnProfile, opts: TargetOptions): TargetSpec {
  const { name, index } = profile;
  if (profile.present === 0) throw new MloopError('invalid_argument', `target column "${name}" has no values`);
  const classes = classesOf(profile);
  const task = detectTask(profile, classes, opts);
  if (task === 'regression') {
    if (profile.numeric < MIN_CLASS_ROWS) {
      throw new MloopError('invalid_argument', `target column "${name}" has ${profile.numeric} numeric values; a regression needs at least ${MIN_CLASS_ROWS}`);
    }
    return { name, index, task, classes: null, counts: null };
  }
  if (profile.capped) {
    // Past the cap the values were no longer counted, so neither the classes nor the rejected rows would be exact.
    throw new MloopError(
      'invalid_argument',
      `target column "${name}" has more than ${profile.distinct} distinct values; ${task} classification needs a few classes (set "task": "regression" for a numeric target)`,
    );
  }
  const names = task === 'binary' ? binary(profile, classes, opts.positiveClass) : ordered(classes);
  if (task === 'multiclass' && (names.length < 2 || names.length > MAX_CLASSES)) {
    throw new MloopError('invalid_argument', `target column "${name}" has ${names.length} classes; multiclass classification needs 2 to ${MAX_CLASSES}`);
  }
  const counts = names.map((c) => classes.get(canonical(c))?.count ?? 0);
  const rows = counts.reduce((a, b) => a + b, 0);
  const absent = names.findIndex((_, k) => counts[k] === 0);
  if (absent >= 0) {
    const only = names.filter((_, k) => counts[k] > 0);
    throw new MloopError('invalid_argument', `target column "${name}" is ${quoted(only)} in all ${rows} rows; "${names[absent]}" never occurs`);
  }
  const rare = names.findIndex((_, k) => counts[k] < MIN_CLASS_ROWS);
  if (rare >= 0) {
    const shown = names.map((c, k) => `${counts[k]} "${c}"`).join(', ');
    throw new MloopError(
      'invalid_argument',
      `target column "${name}" has ${shown} rows; at least ${MIN_CLASS_ROWS} of each class are needed to split into train, validation and test`,
    );
  }
  return { name, index, task, classes: names, counts };
}
