import type { Readable } from 'node:stream';
import { MloopError } from '../core/errors';
import { readCsvRows, sniffCsv } from './csv';
import type { DatasetConfig } from './dataset_config';
import { encodedWidth, encodeRecords, fitFeatureSpecs, type FeatureSpec, type TrainingColumn } from './encoding';
import { inferSchema, targetLabeler, type ColumnKind, type DropReason, type InferredSchema } from './schema';
import { stratifiedSplit } from './split';
import { isMissing, parseBoolean, parseNumber } from './values';

/**
 * The train job's data path: from a CSV stream to encoded, split matrices and the raw holdout rows the
 * champion is scored on. Columns are kept as typed arrays rather than row objects so that a million rows
 * fit comfortably in a job's memory.
 */
export type Task = 'binary' | 'multiclass' | 'regression';

export interface SplitData {
  /** Row-major [n × encodedWidth(specs)]. */
  X: Float32Array;
  /** 0/1 (binary), the class index (multiclass) or the value (regression). */
  y: Float32Array;
  n: number;
}

export interface ColumnStats {
  name: string;
  kind: ColumnKind;
  reason?: DropReason;
  missing: number;
  unique?: number;
  min?: number;
  max?: number;
  mean?: number;
}

export interface DataReport {
  /** Rows kept for training and evaluation. */
  rows: number;
  rejected: Array<{ line: number; reason: string }>;
  rejectedCount: number;
  positives: number;
  negatives: number;
  columns: ColumnStats[];
}

export interface PreparedData {
  task: Task;
  /** Binary: [negative, positive]; multiclass: the class names, index = label; regression: null. */
  classes: string[] | null;
  specs: FeatureSpec[];
  dropped: Array<{ name: string; reason: DropReason }>;
  target: string;
  /** The target value that is class 1, spelled as in the data. */
  positiveClass: string;
  negativeClass: string;
  train: SplitData;
  validation: SplitData;
  /** The holdout, also as the original strings of the feature columns, for scoring any model on it. */
  test: SplitData & { records: Array<Record<string, string>> };
  report: DataReport;
}

const INITIAL_CAPACITY = 1 << 16;
// Uint16 codes; values past this many distinct ones encode as unknown, which the top-50 vocabulary makes them anyway.
const MAX_DICTIONARY = 65_535;
const ENCODE_CHUNK = 4096;

function grow<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** One kept column while the file streams past. */
interface Store {
  name: string;
  index: number;
  kind: 'numeric' | 'categorical' | 'boolean';
  numbers: Float64Array;
  codes: Uint16Array;
  /** 0, 1, or 2 for missing. */
  flags: Uint8Array;
  dictionary: string[];
  lookup: Map<string, number>;
  missing: number;
}

function newStore(name: string, index: number, kind: Store['kind']): Store {
  const size = (k: Store['kind']) => (kind === k ? INITIAL_CAPACITY : 0);
  return {
    name,
    index,
    kind,
    numbers: new Float64Array(size('numeric')),
    codes: new Uint16Array(size('categorical')),
    flags: new Uint8Array(size('boolean')),
    dictionary: [],
    lookup: new Map(),
    missing: 0,
  };
}

function push(store: Store, row: number, cell: string): void {
  if (store.kind === 'numeric') {
    store.numbers = grow(store.numbers, row + 1);
    const v = parseNumber(cell);
    store.numbers[row] = v;
    if (Number.isNaN(v)) store.missing++;
  } else if (store.kind === 'boolean') {
    store.flags = grow(store.flags, row + 1);
    const v = parseBoolean(cell);
    store.flags[row] = v ?? 2;
    if (v === null) store.missing++;
  } else {
    store.codes = grow(store.codes, row + 1);
    if (isMissing(cell)) {
      store.codes[row] = 0;
      store.missing++;
      return;
    }
    const value = cell.trim();
    let code = store.lookup.get(value);
    if (code === undefined && store.dictionary.length < MAX_DICTIONARY) {
      store.dictionary.push(value);
      code = store.dictionary.length;
      store.lookup.set(value, code);
    }
    store.codes[row] = code ?? 0;
  }
}

/** The value the shared encoder receives for a stored cell: what a JSON client would send. */
function valueAt(store: Store, row: number): number | string | null {
  if (store.kind === 'numeric') {
    const v = store.numbers[row];
    return Number.isNaN(v) ? null : v;
  }
  if (store.kind === 'boolean') return store.flags[row] === 2 ? null : store.flags[row];
  const code = store.codes[row];
  return code === 0 ? null : store.dictionary[code - 1];
}

function stats(store: Store, rows: number): ColumnStats {
  const base = { name: store.name, kind: store.kind, missing: store.missing };
  if (store.kind === 'categorical') return { ...base, unique: store.dictionary.length };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < rows; i++) {
    const v = store.kind === 'numeric' ? store.numbers[i] : store.flags[i] === 2 ? NaN : store.flags[i];
    if (Number.isNaN(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return base;
  return store.kind === 'numeric' ? { ...base, min, max, mean: sum / count } : { ...base, mean: sum / count };
}

function encodeSplit(indices: Uint32Array, stores: Store[], specs: FeatureSpec[], labels: Uint8Array): SplitData {
  const width = encodedWidth(specs);
  const n = indices.length;
  const X = new Float32Array(n * width);
  const y = new Float32Array(n);
  const chunk: Array<Record<string, unknown>> = [];
  for (let start = 0; start < n; start += ENCODE_CHUNK) {
    const end = Math.min(n, start + ENCODE_CHUNK);
    chunk.length = 0;
    for (let k = start; k < end; k++) {
      const row = indices[k];
      const record: Record<string, unknown> = {};
      for (const store of stores) record[store.name] = valueAt(store, row);
      chunk.push(record);
      y[k] = labels[row];
    }
    encodeRecords(chunk, specs, X.subarray(start * width, end * width));
  }
  return { X, y, n };
}

function checkClasses(schema: InferredSchema, rows: number, positives: number, rejected: string): void {
  const { name, positive, negative } = schema.target;
  if (rows === 0) throw new MloopError('invalid_argument', `no usable rows: every data row was rejected${rejected}`);
  const negatives = rows - positives;
  if (positives === 0 || negatives === 0) {
    const only = positives === 0 ? negative : positive;
    throw new MloopError('invalid_argument', `target column "${name}" is "${only}" in all ${rows} rows; binary classification needs both classes`);
  }
  // Each of train, validation and test needs a row of each class, or its loss or AUC is undefined.
  if (Math.min(positives, negatives) < 3) {
    throw new MloopError(
      'invalid_argument',
      `target column "${name}" has ${positives} "${positive}" and ${negatives} "${negative}" rows; at least 3 of each are needed to split into train, validation and test`,
    );
  }
}

export async function prepareTrainingData(
  open: () => Promise<Readable>,
  cfg: DatasetConfig,
  opts: { seed?: number } = {},
): Promise<PreparedData> {
  const seed = opts.seed ?? cfg.seed ?? 42;
  const sniff = await sniffCsv(await open());
  const schema = inferSchema(sniff.header, sniff.sample, { target: cfg.target, positiveClass: cfg.positive_class, drop: cfg.drop });
  const stores = schema.columns.filter((c) => c.kind !== 'dropped').map((c) => newStore(c.name, c.index, c.kind as Store['kind']));
  const droppedColumns = schema.columns.filter((c) => c.kind === 'dropped');
  const droppedMissing = new Float64Array(droppedColumns.length);
  const label = targetLabeler(schema.target);
  const { name: target, index: targetIndex, positive, negative } = schema.target;

  let rows = 0;
  let positives = 0;
  let labels = new Uint8Array(INITIAL_CAPACITY);
  let lines = new Uint32Array(INITIAL_CAPACITY);
  const read = await readCsvRows(await open(), (cells, line) => {
    const y = label(cells[targetIndex]);
    if (y === null) {
      return isMissing(cells[targetIndex])
        ? `missing target "${target}"`
        : `target "${target}" is "${cells[targetIndex].trim()}", expected "${positive}" or "${negative}"`;
    }
    for (const store of stores) push(store, rows, cells[store.index]);
    droppedColumns.forEach((c, k) => {
      if (isMissing(cells[c.index])) droppedMissing[k]++;
    });
    labels = grow(labels, rows + 1);
    lines = grow(lines, rows + 1);
    labels[rows] = y;
    lines[rows] = line;
    positives += y;
    rows++;
  });
  if (read.header.join('\u0000') !== sniff.header.join('\u0000')) {
    throw new MloopError('failed_precondition', 'the dataset changed while it was being read (the header differs)');
  }
  const firstRejected = read.rejected.length > 0 ? ` (first: line ${read.rejected[0].line}: ${read.rejected[0].reason})` : '';
  checkClasses(schema, rows, positives, firstRejected);

  labels = labels.subarray(0, rows);
  const split = stratifiedSplit(labels, undefined, seed);
  const columns = new Map<string, TrainingColumn>(
    stores.map((s): [string, TrainingColumn] => [
      s.name,
      s.kind === 'numeric'
        ? { kind: 'numeric', values: s.numbers }
        : s.kind === 'categorical'
          ? { kind: 'categorical', codes: s.codes, dictionary: s.dictionary }
          : { kind: 'boolean' },
    ]),
  );
  const specs = fitFeatureSpecs(schema, columns, split.train);

  const records = await holdoutRecords(open, split.test, lines, stores);
  const report: DataReport = {
    rows,
    rejected: read.rejected,
    rejectedCount: read.rejectedCount,
    positives,
    negatives: rows - positives,
    columns: schema.columns.map((c) => {
      const store = stores.find((s) => s.name === c.name);
      if (store) return stats(store, rows);
      return { name: c.name, kind: 'dropped', reason: c.reason, missing: droppedMissing[droppedColumns.indexOf(c)] };
    }),
  };
  return {
    task: 'binary',
    classes: [negative, positive],
    specs,
    dropped: droppedColumns.map((c) => ({ name: c.name, reason: c.reason! })),
    target,
    positiveClass: positive,
    negativeClass: negative,
    train: encodeSplit(split.train, stores, specs, labels),
    validation: encodeSplit(split.validation, stores, specs, labels),
    test: { ...encodeSplit(split.test, stores, specs, labels), records },
    report,
  };
}

/**
 * The test rows as the file spells them, read in a second pass by line number: keeping every row's
 * strings during the first pass would cost more memory than the whole encoded dataset, and the
 * holdout is only known once all labels are in.
 */
async function holdoutRecords(
  open: () => Promise<Readable>,
  test: Uint32Array,
  lines: Uint32Array,
  stores: Store[],
): Promise<Array<Record<string, string>>> {
  const wanted = test.map((row) => lines[row]);
  const records: Array<Record<string, string>> = [];
  let next = 0;
  await readCsvRows(await open(), (cells, line) => {
    if (line !== wanted[next]) return;
    const record: Record<string, string> = {};
    for (const store of stores) record[store.name] = cells[store.index];
    records.push(record);
    next++;
  });
  if (records.length !== wanted.length) {
    throw new MloopError('failed_precondition', 'the dataset changed while it was being read (holdout rows are missing)');
  }
  return records;
}
