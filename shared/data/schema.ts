import { MloopError } from '../core/errors';
import type { ColumnProfile } from './column_profiler';
import { inferTarget, type TargetOptions, type TargetSpec } from './target';
import { BOOLEAN_PAIRS } from './values';

/**
 * What each column is, decided from its profile over the whole file: a feature of some kind, or dropped
 * with a reason a person can check.
 */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'dropped';
export const DROP_REASONS = ['target', 'id-like', 'constant', 'high-cardinality', 'user-drop', 'empty', 'time'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** One-hot width per categorical column; rarer values encode as unknown. */
export const MAX_CATEGORIES = 50;
/**
 * A column is numeric when at least this share of its values are numbers; the rest are reported as
 * invalid and read as missing, so that one stray "n/a" in a million rows does not turn amounts into text.
 */
export const NUMERIC_SHARE = 0.99;

export interface ColumnSchema {
  name: string;
  /** Position in the header. */
  index: number;
  kind: ColumnKind;
  reason?: DropReason;
  missing: number;
  unique: number;
}

export interface InferredSchema {
  columns: ColumnSchema[];
  target: TargetSpec;
  /** The column that orders rows for a split by time; not a feature. */
  time: { name: string; index: number } | null;
}

export interface InferOptions extends TargetOptions {
  target: string;
  drop?: string[];
  timeColumn?: string;
  /** Per column, the kind a typed file (Parquet) declares; times are not features. */
  declared?: ReadonlyArray<'numeric' | 'categorical' | 'boolean' | 'time'>;
}

/** `id`, `user_id`, `userId`, `USERID` — but not `paid` or `valid`. */
const ID_NAME = /(^|[_\-\s.])(id|Id|ID)$|[a-z0-9]Id$|[A-Za-z0-9]ID$/;
const looksLikeIdName = (name: string) => ID_NAME.test(name);

const quoted = (values: Iterable<string>) => [...values].map((v) => `"${v}"`).join(', ');

export function isNumericColumn(p: ColumnProfile): boolean {
  return p.numeric > 0 && p.numeric >= NUMERIC_SHARE * p.present;
}

function inferColumn(p: ColumnProfile): ColumnSchema {
  const base = { name: p.name, index: p.index, missing: p.missing, unique: p.distinct };
  if (p.present === 0) return { ...base, kind: 'dropped', reason: 'empty' };
  if (isNumericColumn(p)) {
    if (p.min === p.max) return { ...base, kind: 'dropped', reason: 'constant' };
    // Every value different so far (up to the cap, where counting stopped): a row number or a key.
    const allDistinct = p.capped ? p.presentAtCap === p.distinct + 1 : p.distinct === p.present;
    if (p.integers && allDistinct && looksLikeIdName(p.name)) return { ...base, kind: 'dropped', reason: 'id-like' };
    return { ...base, kind: 'numeric' };
  }
  if (!p.capped) {
    const lower = new Set(p.values.map((v) => v.value.toLowerCase()));
    if (lower.size === 1) return { ...base, kind: 'dropped', reason: 'constant' };
    if (lower.size === 2 && BOOLEAN_PAIRS.some(([t, f]) => lower.has(t) && lower.has(f))) return { ...base, kind: 'boolean' };
  }
  const ratio = p.capped ? p.distinct / p.presentAtCap : p.distinct / p.present;
  if (ratio > 0.5 && (p.distinct > 100 || looksLikeIdName(p.name))) return { ...base, kind: 'dropped', reason: 'id-like' };
  const covered = p.values.slice(0, MAX_CATEGORIES).reduce((sum, v) => sum + v.count, 0) / p.present;
  // When the kept vocabulary would describe less than half of the rows, one-hot adds width, not signal.
  if (covered < 0.5) return { ...base, kind: 'dropped', reason: 'high-cardinality' };
  return { ...base, kind: 'categorical' };
}

export function inferSchema(columns: ColumnProfile[], opts: InferOptions): InferredSchema {
  const names = columns.map((c) => c.name);
  const userDrop = new Set(opts.drop ?? []);
  const unknown = [...userDrop].filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new MloopError('invalid_argument', `drop lists ${quoted(unknown)}, not in the file (columns: ${names.join(', ')})`);
  }
  const targetProfile = columns.find((c) => c.name === opts.target)!;
  const target = inferTarget(targetProfile, opts);
  const time = opts.timeColumn === undefined ? null : { name: opts.timeColumn, index: names.indexOf(opts.timeColumn) };
  const schema = columns.map((p): ColumnSchema => {
    if (p.index === target.index) return { name: p.name, index: p.index, kind: 'dropped', reason: 'target', missing: p.missing, unique: p.distinct };
    if (p.index === time?.index) return { name: p.name, index: p.index, kind: 'dropped', reason: 'time', missing: p.missing, unique: p.distinct };
    // A timestamp as a feature would be an id a model memorises; it orders rows as the time_column instead.
    if (opts.declared?.[p.index] === 'time') return { name: p.name, index: p.index, kind: 'dropped', reason: 'time', missing: p.missing, unique: p.distinct };
    const inferred = inferColumn(p);
    if (userDrop.has(p.name)) return { ...inferred, kind: 'dropped', reason: 'user-drop' };
    return inferred;
  });
  if (!schema.some((c) => c.kind !== 'dropped')) {
    const why = schema.filter((c) => c.reason !== 'target').map((c) => `${c.name} (${c.reason})`);
    throw new MloopError('invalid_argument', `no usable feature columns: ${why.join(', ') || 'the file has only the target'}`);
  }
  return { columns: schema, target, time };
}
