import { MloopError } from '../core/errors';
import { ByteDictionary } from './byte_dictionary';
import { fieldKey, fieldMissing, fieldNumber, fieldText, fieldTime, type Trimmed } from './record_cells';
import { TextColumns } from './text_columns';
import { trainColumnsOf, type NamedColumn } from './train_columns';
import { ColumnStore } from './column_store';
import { STOP, type Rejection } from './csv';
import { readTable, type TableInput } from './table';
import type { CsvRecord } from './csv_scan';
import type { DataOptions } from './data_options';
import { badTime, missingTarget } from './csv_profile';
import { encodeColumns } from './training_matrix';
import { encodedWidth, fitFeatureSpecs, type FeatureSpec, type TrainingColumn } from './encoding';
import { allocateSample, StratifiedReservoir } from './sample';
import type { DropReason, InferredSchema } from './schema';
import { stratifiedSplit, timeSplit, type Split } from './split';
import { MIN_CLASS_ROWS, targetLabeler, targetRejection, type Task, type TargetSpec } from './target';
import { validateCsv, type ColumnStats, type TargetStats } from './csv_validation';

export type { Task } from './target';

/**
 * The train job's data path, from a CSV stream to encoded, split matrices and the raw holdout rows the
 * champion is scored on, in three streaming passes that never hold the text: validate (profile every
 * column, decide the schema and the task), load (the kept columns into typed arrays, sampled when asked),
 * and fetch the test rows' own strings. Memory is the typed columns and the matrices, bounded by the
 * sample when there is one.
 */
export interface SplitData {
  /** Row-major [n × encodedWidth(specs)]: encodeRecords' encoding. */
  X: Float32Array;
  /** 0/1 (binary), the class index (multiclass) or the value (regression). */
  y: Float32Array;
  n: number;
}

export interface DataReport {
  task: Task;
  /** Rows prepared: train, validation and test together. */
  rows: number;
  /** Data records in the file. */
  rows_read: number;
  /** Rows the file has that a model can use; a sample is drawn from these. */
  rows_usable: number;
  sampled: boolean;
  rejected: Rejection[];
  rejectedCount: number;
  /** Binary, over the prepared rows. */
  positives?: number;
  negatives?: number;
  /** Multiclass, over the prepared rows. */
  class_counts?: Record<string, number>;
  /** Regression, over the prepared rows. */
  target_stats?: TargetStats;
  /** Over the whole file. */
  columns: ColumnStats[];
  /** With a time column: the earliest and latest time of the prepared rows (epoch ms for a date, else the column's number). */
  time_range?: TimeRange;
}

export interface TimeRange {
  column: string;
  from: number;
  to: number;
}

export interface PreparedData {
  task: Task;
  /** Binary: [negative, positive]; multiclass: the class names, index = label; regression: null. */
  classes: string[] | null;
  specs: FeatureSpec[];
  dropped: Array<{ name: string; reason: DropReason }>;
  target: string;
  train: SplitData;
  validation: SplitData;
  /** The holdout, also as the original strings of the feature columns, for scoring any model on it. */
  test: SplitData & { text: TextColumns };
  /** The training split's raw feature values, column by column: what reference.json profiles (computed when called). */
  trainColumns: () => NamedColumn[];
  report: DataReport;
}

/** The sample's and the split's seed when neither the run nor mloop.json sets one. */
export const DEFAULT_SPLIT_SEED = 42;

export interface PrepareOptions {
  seed?: number;
  /** Rows to keep, stratified on the target for classification, uniform for regression; all when absent. */
  sample?: number;
}

const changed = (what: string) => new MloopError('failed_precondition', `the dataset changed while it was being read (${what})`);

/** The target cell → its label, from the bytes: a class's raw spellings are looked up once each. */
function labeler(target: TargetSpec): (rec: CsvRecord) => number | null {
  const i = target.index;
  if (target.task === 'regression') {
    return (rec) => {
      const v = fieldNumber(rec, i);
      return Number.isNaN(v) ? null : v;
    };
  }
  const label = targetLabeler(target);
  const spellings = new ByteDictionary();
  const labels: Array<number | null> = [];
  const key: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
  return (rec) => {
    fieldKey(rec, i, key);
    const code = spellings.code(key.buf, key.start, key.end);
    if (code === labels.length) labels.push(label(spellings.text(code)));
    return labels[code];
  };
}

function targetSummary(target: TargetSpec, y: Float32Array): Pick<DataReport, 'positives' | 'negatives' | 'class_counts' | 'target_stats'> {
  if (target.task === 'regression') {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of y) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / y.length;
    let m2 = 0;
    for (const v of y) m2 += (v - mean) ** 2;
    return { target_stats: { min, max, mean, std: Math.sqrt(m2 / y.length) } };
  }
  const counts = new Array<number>(target.classes!.length).fill(0);
  for (const v of y) counts[v]++;
  if (target.task === 'binary') return { positives: counts[1], negatives: counts[0] };
  return { class_counts: Object.fromEntries(target.classes!.map((c, k) => [c, counts[k]])) };
}

function timeRange(column: string, times: Float64Array): TimeRange {
  let from = Infinity;
  let to = -Infinity;
  for (const t of times) {
    if (t < from) from = t;
    if (t > to) to = t;
  }
  return { column, from, to };
}

/** A split by time cannot be stratified; say so when it leaves a split without one of the classes. */
function checkTimeSplit(split: Split, y: Float32Array, target: TargetSpec): void {
  for (const name of ['train', 'validation', 'test'] as const) {
    const seen = new Set<number>();
    for (const row of split[name]) seen.add(y[row]);
    const absent = target.classes!.filter((_, k) => !seen.has(k));
    if (absent.length > 0) {
      throw new MloopError(
        'invalid_argument',
        `split by time, the ${name} rows have no "${absent.join('", "')}" rows of target "${target.name}"; every split needs each class (split at random without time_column, or use more data)`,
      );
    }
  }
}

function splitRows(schema: InferredSchema, y: Float32Array, times: Float64Array | null, seed: number): Split {
  const { target } = schema;
  if (times) {
    const split = timeSplit(times);
    if (target.task !== 'regression') checkTimeSplit(split, y, target);
    return split;
  }
  return stratifiedSplit(target.task === 'regression' ? new Uint8Array(y.length) : y, undefined, seed);
}

export async function prepareTrainingData(open: () => Promise<TableInput>, cfg: DataOptions, opts: PrepareOptions = {}): Promise<PreparedData> {
  const seed = opts.seed ?? cfg.seed ?? DEFAULT_SPLIT_SEED;
  const wanted = opts.sample ?? cfg.sample;
  const { profile, schema, report: validation } = await validateCsv(await open(), cfg);
  const { target } = schema;

  const usable = validation.rows;
  const sampled = wanted !== undefined && wanted < usable;
  // Unsampled rows keep file order in one stratum; a sample keeps each class's share.
  const strata = !sampled || target.task === 'regression' ? [usable] : target.counts!;
  const reservoir = new StratifiedReservoir(sampled ? allocateSample(strata, wanted, MIN_CLASS_ROWS) : strata, seed);
  const n = reservoir.size;
  // `let`: dropped once encoded, before the holdout's strings are read (see below)
  let stores = schema.columns.flatMap((c) => (c.kind === 'dropped' ? [] : [new ColumnStore({ ...c, kind: c.kind }, n)]));
  const y = new Float32Array(n);
  const lines = new Uint32Array(n);
  const times = schema.time ? new Float64Array(n) : null;
  const timeIndex = schema.time?.index ?? -1;
  const label = labeler(target);
  const stratified = strata.length > 1;

  const load = await readTable(
    await open(),
    (header) => {
      if (header.join('\u0000') !== profile.header.join('\u0000')) throw changed('the header differs');
    },
    (rec) => {
      if (fieldMissing(rec, target.index)) return missingTarget(target.name);
      const time = timeIndex >= 0 ? fieldTime(rec, timeIndex) : 0;
      if (Number.isNaN(time)) return badTime(schema.time!.name, fieldText(rec, timeIndex));
      const value = label(rec);
      if (value === null) return targetRejection(target, fieldText(rec, target.index));
      const slot = reservoir.offer(stratified ? value : 0);
      if (slot < 0) return;
      for (let k = 0; k < stores.length; k++) stores[k].write(rec, slot);
      y[slot] = value;
      lines[slot] = rec.line;
      if (times) times[slot] = time;
    },
  );
  if (load.rows !== usable) throw changed(`${load.rows} usable rows, ${usable} before`);

  const split = splitRows(schema, y, times, seed);
  const named = stores.map((store) => ({ name: store.column.name, index: store.column.index }));
  const { specs, train, validation: validationSplit, test, trainColumns } = encodeStores(schema, stores, split, y);
  // the typed columns are no longer needed: let them go before the holdout's strings come in, so that
  // both are never held at once (at 1 M rows the peak was the sum)
  stores = [];
  // a slice column that is no feature (dropped, or the time column) is still read into the holdout's rows
  const sliceOnly = schema.columns.filter((c) => c.kind === 'dropped' && c.index !== target.index && cfg.slices?.includes(c.name)).map((c) => ({ name: c.name, index: c.index }));
  const text = await holdoutText(open, split.test, lines, named, sliceOnly);

  return {
    task: target.task,
    classes: target.classes,
    specs,
    dropped: schema.columns.flatMap((c) => (c.kind === 'dropped' ? [{ name: c.name, reason: c.reason! }] : [])),
    target: target.name,
    train,
    validation: validationSplit,
    test: { ...test, text },
    trainColumns,
    report: {
      task: target.task,
      rows: n,
      rows_read: validation.rows_read,
      rows_usable: usable,
      sampled,
      rejected: load.rejected,
      rejectedCount: load.rejectedCount,
      ...(times && n > 0 ? { time_range: timeRange(schema.time!.name, times) } : {}),
      ...targetSummary(target, y),
      columns: validation.columns,
    },
  };
}

/**
 * The feature specs fitted on the training rows and the splits' matrices, from the typed columns; in a
 * function of its own so that nothing of the columns outlives it but what it returns (an async
 * function's locals live as long as it awaits).
 */
function encodeStores(schema: InferredSchema, stores: readonly ColumnStore[], split: Split, y: Float32Array) {
  const columns = new Map<string, TrainingColumn>(stores.map((s) => [s.column.name, s.training()]));
  const specs = fitFeatureSpecs(schema, columns, split.train);
  const encode = (rows: Uint32Array): SplitData => ({ X: encodeColumns(stores, specs, rows), y: Float32Array.from(rows, (row) => y[row]), n: rows.length });
  const train = encode(split.train);
  return {
    specs,
    train,
    validation: encode(split.validation),
    test: encode(split.test),
    trainColumns: trainColumnsOf(stores, specs, split.train, train.X, encodedWidth(specs)),
  };
}

/**
 * The test rows as the file spells them, read in another pass by line number: keeping every row's
 * strings while loading would cost more memory than the whole encoded dataset, and the holdout is only
 * known once all rows are in.
 */
async function holdoutText(
  open: () => Promise<TableInput>,
  test: Uint32Array,
  lines: Uint32Array,
  columns: ReadonlyArray<{ name: string; index: number }>,
  extra: ReadonlyArray<{ name: string; index: number }> = [],
): Promise<TextColumns> {
  const order = Uint32Array.from(test.keys()).sort((a, b) => lines[test[a]] - lines[test[b]]);
  const all = [...columns, ...extra];
  const text = new TextColumns(
    all.map((c) => c.name),
    test.length,
  );
  let next = 0;
  if (test.length > 0) {
    await readTable(await open(), () => undefined, (rec) => {
      const k = order[next];
      if (rec.line !== lines[test[k]]) return;
      text.add(k, (j) => fieldText(rec, all[j].index));
      return ++next === order.length ? STOP : undefined;
    });
  }
  if (next !== test.length) throw changed('holdout rows are missing');
  return text.seal();
}
