import { writeFlatParquet, type FlatColumn } from '../../data/parquet/flat_writer';
import type { PredictionRecord } from './prediction_records';

/**
 * The prediction log as Parquet: one file per flush, one row group, one column per feature and per
 * prediction field (`features__<name>`, `prediction__<name>`), so BigQuery can read it as an external
 * table and the monitor reads numbers as numbers instead of parsing a JSON line per instance.
 * A field whose values are all numbers, all strings or all booleans is stored as such; any other (objects,
 * mixed types) as JSON text. The file's key-value metadata maps columns back to fields, so a field's name
 * is never parsed out of a column name. A field absent from an instance reads back as null.
 */
export const PARQUET_EXTENSION = '.parquet';
const LAYOUT_KEY = 'mloop.prediction_log';
const BASE = ['request_id', 'index', 'model_version', 'time'] as const;
/** The row as JSON when an instance or a prediction is not an object (an image that could not be summarised). */
const WHOLE = { features: '__features_json', prediction: '__prediction_json' } as const;

type Group = 'features' | 'prediction';

interface Field {
  group: Group;
  key: string;
  /** values[row]; a row without the field is a hole, written as null */
  values: unknown[];
}

interface Layout {
  version: 1;
  model: string;
  shadow: boolean;
  /** column name -> [group, field, stored as JSON text] */
  columns: Record<string, [Group, string, boolean]>;
  /** The earliest and latest `time` of the file's rows (files written before these lack them), so a reader skips a file outside its window. */
  first?: string;
  last?: string;
}

/**
 * One batch of the log as columns, filled on the request path without serialising anything: a value is
 * copied by reference into its column, so what stays on the heap until the flush is the values, not the
 * request's objects or one string per instance.
 */
export class PredictionColumns {
  rows = 0;
  private readonly requestIds: string[] = [];
  private index = new Int32Array(1024);
  private readonly versions: string[] = [];
  private readonly times: string[] = [];
  private readonly fields = { features: new Map<string, Field>(), prediction: new Map<string, Field>() };
  /** the fields in the order the last row listed them */
  private readonly order: Record<Group, Field[]> = { features: [], prediction: [] };
  /** JSON text per row, only for rows whose instance or prediction is not an object */
  private wholes: { features: string[]; prediction: string[] } | null = null;

  constructor(
    readonly model: string,
    readonly shadow: boolean,
  ) {}

  add(requestId: string, version: string, time: string, instances: readonly unknown[], predictions: readonly unknown[]): void {
    if (this.rows + instances.length > this.index.length) {
      const bigger = new Int32Array(Math.max(this.index.length * 2, this.rows + instances.length));
      bigger.set(this.index);
      this.index = bigger;
    }
    for (let i = 0; i < instances.length; i++) {
      const row = this.rows++;
      this.requestIds.push(requestId);
      this.index[row] = i;
      this.versions.push(version);
      this.times.push(time);
      this.spread('features', row, instances[i]);
      this.spread('prediction', row, predictions[i]);
    }
  }

  private spread(group: Group, row: number, value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.wholes ??= { features: [], prediction: [] };
      this.wholes[group][row] = JSON.stringify(value ?? null);
      return;
    }
    const fields = this.fields[group];
    const order = this.order[group];
    const object = value as Record<string, unknown>;
    let at = 0;
    for (const key in object) {
      // requests repeat one shape: the field at this position is most often the last row's
      let field: Field | undefined = order[at];
      if (field === undefined || field.key !== key) {
        field = fields.get(key);
        if (!field) fields.set(key, (field = { group, key, values: [] }));
        order[at] = field;
      }
      field.values[row] = object[key];
      at++;
    }
  }

  /** The batch as one Parquet file. */
  encode(): Buffer {
    const n = this.rows;
    const columns: FlatColumn[] = [
      { name: 'request_id', values: this.requestIds, type: 'STRING', nullable: false },
      { name: 'index', values: this.index, type: 'INT32', nullable: false },
      { name: 'model_version', values: this.versions, type: 'STRING', nullable: false },
      { name: 'time', values: this.times, type: 'STRING', nullable: false },
    ];
    let first = this.times[0];
    let last = first;
    for (const t of this.times) {
      if (t < first) first = t;
      else if (t > last) last = t;
    }
    const layout: Layout = { version: 1, model: this.model, shadow: this.shadow, columns: {}, ...(n > 0 ? { first, last } : {}) };
    const taken = new Set<string>([...BASE, WHOLE.features, WHOLE.prediction]);
    for (const group of ['features', 'prediction'] as const) {
      for (const { key, values } of this.fields[group].values()) {
        let name = `${group}__${key}`;
        for (let k = 2; taken.has(name); k++) name = `${group}__${key}__${k}`;
        taken.add(name);
        const { type, data, nullable } = typed(values, n);
        columns.push({ name, values: data, type, nullable });
        layout.columns[name] = [group, key, type === 'JSON'];
      }
      if (this.wholes) columns.push({ name: WHOLE[group], values: Array.from({ length: n }, (_, i) => this.wholes![group][i] ?? null), type: 'STRING', nullable: true });
    }
    return writeFlatParquet(columns, n, { [LAYOUT_KEY]: JSON.stringify(layout) });
  }
}

/**
 * A column's values as the narrowest Parquet type that holds them all; holes are nulls. A column
 * without nulls is written as required: hyparquet reads an optional one back through its nested-data
 * assembly, value by value.
 */
function typed(values: unknown[], n: number): { type: 'DOUBLE' | 'STRING' | 'BOOLEAN' | 'JSON'; data: unknown[]; nullable: boolean } {
  let kind: string | null = null;
  let nulls = values.length < n;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      nulls = true;
      continue;
    }
    const t = typeof v;
    if (t === 'number' && !Number.isFinite(v)) {
      // as JSON.stringify wrote it in the NDJSON log: the monitor skips a null score, not a NaN one
      values[i] = null;
      nulls = true;
      continue;
    }
    if (kind === null) kind = t;
    // the file writer serialises a JSON column's values itself
    if (t !== kind || (t !== 'number' && t !== 'string' && t !== 'boolean')) return { type: 'JSON', data: values, nullable: true };
  }
  return { type: kind === 'string' ? 'STRING' : kind === 'boolean' ? 'BOOLEAN' : 'DOUBLE', data: values, nullable: nulls };
}

/** The records of one Parquet file of the log, in the file's order. */
export async function decodePredictionParquet(bytes: Buffer): Promise<PredictionRecord[]> {
  // loaded when a log batch is read (the tick), not when a function that writes the log starts (score)
  const { parquetMetadata, parquetRead } = await import('hyparquet');
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const stored = metadata.key_value_metadata?.find((kv) => kv.key === LAYOUT_KEY)?.value;
  if (!stored) throw new Error('not a prediction log file: its layout metadata is missing');
  const layout = JSON.parse(stored) as Layout;
  const n = Number(metadata.num_rows);
  const columns = new Map<string, unknown[]>();
  await parquetRead({
    file,
    metadata,
    onChunk: ({ columnName, columnData, rowStart }) => {
      // the log writes one row group, so a column comes whole, as one chunk: kept as it is
      if (rowStart === 0 && columnData.length === n && !columns.has(columnName)) {
        columns.set(columnName, columnData as unknown[]);
        return;
      }
      let column = columns.get(columnName);
      if (!column) columns.set(columnName, (column = new Array(n)));
      for (let i = 0; i < columnData.length && rowStart + i < n; i++) column[rowStart + i] = columnData[i];
    },
  });
  const get = (name: string) => columns.get(name) ?? new Array(n).fill(null);
  const [requestIds, index, versions, times] = BASE.map(get);
  const fields = Object.entries(layout.columns).map(([name, [group, key]]) => ({ group, key, values: get(name) }));
  const features = fields.filter((f) => f.group === 'features');
  const prediction = fields.filter((f) => f.group === 'prediction');
  const wholeFeatures = columns.get(WHOLE.features);
  const wholePrediction = columns.get(WHOLE.prediction);
  const records = new Array<PredictionRecord>(n);
  for (let row = 0; row < n; row++) {
    const record: PredictionRecord = {
      request_id: requestIds[row] as string,
      index: Number(index[row]),
      model: layout.model,
      model_version: versions[row] as string,
      time: times[row] as string,
      features: objectOf(features, row, wholeFeatures),
      prediction: objectOf(prediction, row, wholePrediction),
    };
    if (layout.shadow) record.shadow = true;
    records[row] = record;
  }
  return records;
}

/** JSON columns come parsed: hyparquet reads a column of converted type JSON as values. */
function objectOf(fields: ReadonlyArray<{ key: string; values: unknown[] }>, row: number, whole: unknown[] | undefined): Record<string, unknown> {
  // text, not a JSON column: hyparquet would read the text "null" as null, which is no text at all
  if (whole && typeof whole[row] === 'string') return JSON.parse(whole[row] as string) as Record<string, unknown>;
  const object: Record<string, unknown> = {};
  for (const { key, values } of fields) {
    const v = values[row];
    object[key] = v === undefined ? null : v;
  }
  return object;
}

/**
 * Some columns of one Parquet file of the log, as decoded, for a reader that wants numbers, not
 * records: the monitor. Only the columns asked for are decoded (a tick needs neither the request ids
 * nor the features the reference does not profile).
 */
export interface PredictionBatch {
  rows: number;
  /** The file's time range when it was stored with it. */
  first: string | null;
  last: string | null;
  /** The values of a field over the rows; null when no row has it. */
  field(group: Group, key: string): ArrayLike<unknown> | null;
  /** A base column: request_id, index, model_version or time. */
  base(name: (typeof BASE)[number]): ArrayLike<unknown>;
}

/**
 * Decodes what `wanted` names and returns null when the file has rows whose instance or prediction
 * was stored whole (not an object): those are read as records. `load` decides, from the batch's time
 * range, whether to decode at all (false: the file is outside the window).
 */
export async function decodePredictionBatch(
  bytes: Buffer,
  wanted: { features: readonly string[]; prediction: readonly string[]; base: ReadonlyArray<(typeof BASE)[number]> },
  load: (first: string | null, last: string | null) => boolean,
): Promise<PredictionBatch | 'whole' | 'skipped'> {
  const { parquetMetadata, parquetRead } = await import('hyparquet');
  // a file read whole owns its memory: no copy (copying every batch cost more than decoding it)
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const file = owned ? (bytes.buffer as ArrayBuffer) : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const metadata = parquetMetadata(file);
  const stored = metadata.key_value_metadata?.find((kv) => kv.key === LAYOUT_KEY)?.value;
  if (!stored) throw new Error('not a prediction log file: its layout metadata is missing');
  const layout = JSON.parse(stored) as Layout;
  const first = layout.first ?? null;
  const last = layout.last ?? null;
  if (!load(first, last)) return 'skipped';
  const present = new Set(metadata.schema.map((s) => s.name));
  if (present.has(WHOLE.features) || present.has(WHOLE.prediction)) return 'whole';
  const n = Number(metadata.num_rows);
  const byField = new Map<string, string>();
  for (const [name, [group, key]] of Object.entries(layout.columns)) byField.set(`${group}\u0000${key}`, name);
  const names = new Set<string>(wanted.base);
  for (const key of wanted.features) {
    const name = byField.get(`features\u0000${key}`);
    if (name) names.add(name);
  }
  for (const key of wanted.prediction) {
    const name = byField.get(`prediction\u0000${key}`);
    if (name) names.add(name);
  }
  const columns = new Map<string, ArrayLike<unknown>>();
  await parquetRead({
    file,
    metadata,
    columns: [...names].filter((name) => present.has(name)),
    onChunk: ({ columnName, columnData, rowStart }) => {
      if (rowStart === 0 && columnData.length === n && !columns.has(columnName)) {
        columns.set(columnName, columnData as ArrayLike<unknown>);
        return;
      }
      // pieces (a file another writer split into pages or groups): gathered into one array
      let column = columns.get(columnName);
      if (!column || !Array.isArray(column)) columns.set(columnName, (column = Array.from({ length: n }, (_, i) => column?.[i] ?? null)));
      for (let i = 0; i < columnData.length && rowStart + i < n; i++) (column as unknown[])[rowStart + i] = columnData[i];
    },
  });
  return {
    rows: n,
    first,
    last,
    field: (group, key) => {
      const name = byField.get(`${group}\u0000${key}`);
      return name === undefined ? null : (columns.get(name) ?? null);
    },
    base: (name) => columns.get(name) ?? new Array(n).fill(null),
  };
}
