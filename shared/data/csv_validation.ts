import { MloopError } from '../core/errors';
import { MAX_REJECTED, type Rejection } from './csv';
import type { DataOptions } from './data_options';
import { profileCsv, type DatasetProfile } from './csv_profile';
import type { DistinctValue } from './column_profiler';
import { inferSchema, isNumericColumn, type ColumnKind, type DropReason, type InferredSchema } from './schema';
import { targetLabeler, targetRejection, type Task, type TargetSpec } from './target';
import { isParquetInput, type TableInput } from './table';

/**
 * What a person reads about an uploaded file before any model is trained on it: how many rows, which
 * were rejected and why (by line), and what each column holds. Field names are snake_case because the
 * report is stored on the dataset document and printed by `mloop datasets --json`.
 */
export interface ColumnStats {
  name: string;
  kind: ColumnKind;
  reason?: DropReason;
  missing: number;
  unique: number;
  /** The distinct values were counted up to a cap: `unique` is a lower bound. */
  unique_capped?: true;
  /** Values of a numeric column that are not numbers; they read as missing. */
  invalid?: number;
  first_invalid?: { line: number; value: string };
  min?: number;
  max?: number;
  mean?: number;
  /** The most frequent values of a text column. */
  top?: DistinctValue[];
}

export interface TargetStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

export interface ValidationReport {
  /** Data records in the file. */
  rows_read: number;
  /** Rows a model can be trained on. */
  rows: number;
  rejected_count: number;
  /** The first rejections, by line. */
  rejected: Rejection[];
  task: Task;
  target: string;
  classes: string[] | null;
  class_counts?: Record<string, number>;
  target_stats?: TargetStats;
  time_column?: string;
  columns: ColumnStats[];
}

const TOP_VALUES = 10;

/** Rows whose target the task cannot use, known only once the task and classes are decided. */
function targetRejections(profile: DatasetProfile, target: TargetSpec): { count: number; first: Rejection[] } {
  const column = profile.columns[target.index];
  if (target.task === 'regression') {
    return {
      count: column.nonNumeric,
      first: profile.targetLines.nonNumeric.map(({ line, value }) => ({ line, reason: targetRejection(target, value) })),
    };
  }
  const label = targetLabeler(target);
  let count = 0;
  const first: Rejection[] = [];
  for (const { value, count: n } of column.values) {
    if (label(value) !== null) continue;
    count += n;
    for (const line of profile.targetLines.byValue.get(value) ?? []) first.push({ line, reason: targetRejection(target, value) });
  }
  return { count, first };
}

function columnStats(profile: DatasetProfile, schema: InferredSchema): ColumnStats[] {
  return profile.columns.map((p, k) => {
    const { kind, reason } = schema.columns[k];
    const stats: ColumnStats = { name: p.name, kind, ...(reason ? { reason } : {}), missing: p.missing, unique: p.distinct };
    if (p.capped) stats.unique_capped = true;
    if (isNumericColumn(p)) {
      if (p.nonNumeric > 0) {
        stats.invalid = p.nonNumeric;
        stats.first_invalid = p.firstNonNumeric!;
      }
      Object.assign(stats, { min: p.min, max: p.max, mean: p.mean });
    } else if (kind === 'categorical' || kind === 'boolean' || reason === 'target') {
      stats.top = p.values.slice(0, TOP_VALUES);
    }
    return stats;
  });
}

export function validationReport(profile: DatasetProfile, schema: InferredSchema): ValidationReport {
  const { target } = schema;
  const byTarget = targetRejections(profile, target);
  const rejected = [...profile.rejected, ...byTarget.first].sort((a, b) => a.line - b.line).slice(0, MAX_REJECTED);
  const t = profile.columns[target.index];
  return {
    rows_read: profile.read,
    rows: profile.accepted - byTarget.count,
    rejected_count: profile.rejectedCount + byTarget.count,
    rejected,
    task: target.task,
    target: target.name,
    classes: target.classes,
    ...(target.classes
      ? { class_counts: Object.fromEntries(target.classes.map((c, k) => [c, target.counts![k]])) }
      : { target_stats: { min: t.min, max: t.max, mean: t.mean, std: t.std } }),
    ...(schema.time ? { time_column: schema.time.name } : {}),
    columns: columnStats(profile, schema),
  };
}

export interface Validated {
  profile: DatasetProfile;
  schema: InferredSchema;
  report: ValidationReport;
}

/** The upload check: one streaming pass, then the schema and the task; throws what makes the file untrainable. */
export async function validateCsv(stream: TableInput, cfg: Pick<DataOptions, 'target' | 'positive_class' | 'task' | 'drop' | 'time_column'>): Promise<Validated> {
  const profile = await profileCsv(stream, { target: cfg.target, timeColumn: cfg.time_column });
  const parquet = isParquetInput(stream);
  if (profile.read === 0) throw new MloopError('invalid_argument', parquet ? 'the Parquet file has columns but no rows' : 'the CSV file has a header but no data rows');
  if (profile.accepted === 0) {
    const first = profile.rejected[0];
    throw new MloopError('invalid_argument', `no usable rows: all ${profile.read} data rows were rejected (first: line ${first.line}: ${first.reason})`);
  }
  if (cfg.task === 'image_classification') {
    throw new MloopError('invalid_argument', `task image_classification needs an archive of images (zip, tar or tar.gz), not a ${parquet ? 'Parquet file' : 'CSV'}`);
  }
  let schema: InferredSchema;
  try {
    schema = inferSchema(profile.columns, {
      target: cfg.target,
      task: cfg.task,
      positiveClass: cfg.positive_class,
      drop: cfg.drop,
      timeColumn: cfg.time_column,
      declared: profile.declared,
    });
  } catch (err) {
    // The rows that were rejected may be why a class or a column is missing: say so.
    const first = profile.rejected[0];
    if (!(err instanceof MloopError) || !first) throw err;
    const rows = profile.rejectedCount === 1 ? '1 row was' : `${profile.rejectedCount} rows were`;
    throw new MloopError(err.code, `${err.message} (${rows} rejected; first: line ${first.line}: ${first.reason})`, err.details);
  }
  return { profile, schema, report: validationReport(profile, schema) };
}
