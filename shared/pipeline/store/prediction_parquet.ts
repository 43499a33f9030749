import { writeFlatParquet, writeFlatParquetYielding, type FlatColumn } from '../../data/parquet/flat_writer';
import type { PredictionRecord } from './prediction_records';
import { grown } from '../../data/grown';
import { Utf8List } from '../../data/utf8_list';

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

/** Texts held once each, and an index per row into them. */
class Dictionary {
  readonly texts: string[] = [];
  private readonly index = new Map<string, number>();
  private last = '';
  private lastCode = -1;

  code(text: string): number {
    // a request's rows, and the requests of one millisecond or version, repeat the last text
    if (text === this.last && this.lastCode >= 0) return this.lastCode;
    let code = this.index.get(text);
    if (code === undefined) {
      code = this.texts.length;
      this.texts.push(text);
      this.index.set(text, code);
    }
    this.last = text;
    this.lastCode = code;
    return code;
  }
}

/**
 * One field's values as they arrive, in the narrowest form that holds them all: numbers (and booleans,
 * as 0/1) in a Float64Array, strings as dictionary codes, and, once its values are of mixed kinds or not
 * scalars, the values themselves (stored as JSON text). A typed column keeps nothing of the request: its
 * objects die young instead of being carried to the flush through the garbage collector's old space.
 */
class FieldColumn {
  kind: 'none' | 'number' | 'boolean' | 'string' | 'json' = 'none';
  /** 1 where the row has a value; a row without the field (a hole) or with null reads back as null */
  defined: Uint8Array;
  numbers: Float64Array | null = null;
  codes: Int32Array | null = null;
  strings: Dictionary | null = null;
  values: unknown[] | null = null;

  constructor(
    readonly group: Group,
    readonly key: string,
    capacity: number,
  ) {
    this.defined = new Uint8Array(capacity);
  }

  set(row: number, value: unknown): void {
    if (value === null || value === undefined) return;
    const t = typeof value;
    if (t === 'number') {
      // as JSON.stringify wrote it in the NDJSON log: the monitor skips a null score, not a NaN one
      if (!Number.isFinite(value)) return;
      if (this.kind === 'number') {
        this.numbers![row] = value as number;
        this.defined[row] = 1;
        return;
      }
      if (this.kind === 'none') {
        this.kind = 'number';
        this.numbers = this.numbersToReuse();
        this.numbers[row] = value as number;
        this.defined[row] = 1;
        return;
      }
    } else if (t === 'string') {
      if (this.kind === 'string') {
        this.codes![row] = this.strings!.code(value as string);
        this.defined[row] = 1;
        return;
      }
      if (this.kind === 'none') {
        this.kind = 'string';
        this.codes = this.codes?.length === this.defined.length ? this.codes : new Int32Array(this.defined.length);
        this.strings = new Dictionary();
        this.codes[row] = this.strings.code(value as string);
        this.defined[row] = 1;
        return;
      }
    } else if (t === 'boolean') {
      if (this.kind === 'none') {
        this.kind = 'boolean';
        this.numbers = this.numbersToReuse();
      }
      if (this.kind === 'boolean') {
        this.numbers![row] = value ? 1 : 0;
        this.defined[row] = 1;
        return;
      }
    }
    this.generic()[row] = value;
    this.defined[row] = 1;
  }

  private numbersToReuse(): Float64Array {
    // a value left from the batch before sits only in a row not defined in this one, which is never read
    return this.numbers?.length === this.defined.length ? this.numbers : new Float64Array(this.defined.length);
  }

  /** Empty again, for the next batch, keeping its arrays: `rows` is how many the last batch used. */
  clear(rows: number): void {
    this.defined.fill(0, 0, rows);
    this.kind = 'none';
    this.strings = null;
    this.values = null;
  }

  /** The values as values, from now on: the column holds more than one kind, or objects. */
  private generic(): unknown[] {
    if (this.kind === 'json') return this.values!;
    const values: unknown[] = [];
    for (let row = 0; row < this.defined.length; row++) {
      if (!this.defined[row]) continue;
      values[row] = this.kind === 'number' ? this.numbers![row] : this.kind === 'boolean' ? this.numbers![row] === 1 : this.strings!.texts[this.codes![row]];
    }
    this.kind = 'json';
    this.values = values;
    this.numbers = this.codes = null;
    this.strings = null;
    return values;
  }

  grow(capacity: number): void {
    this.defined = grown(this.defined, capacity);
    if (this.numbers) this.numbers = grown(this.numbers, capacity);
    if (this.codes) this.codes = grown(this.codes, capacity);
  }

  column(name: string, rows: number): FlatColumn {
    let nullable = false;
    for (let i = 0; i < rows && !nullable; i++) nullable = this.defined[i] === 0;
    const defined = this.defined;
    switch (this.kind) {
      case 'none':
      case 'number':
        return { name, type: 'DOUBLE', values: this.numbers ?? new Float64Array(rows), defined, nullable };
      case 'boolean':
        return { name, type: 'BOOLEAN', values: this.numbers!, defined, nullable };
      case 'string':
        return { name, type: 'STRING', values: this.codes!, dictionary: this.strings!.texts, defined, nullable };
      case 'json':
        // the file writer serialises a JSON column's values itself
        return { name, type: 'JSON', values: this.values!, defined, nullable: true };
    }
  }
}

/**
 * One batch of the log as columns, filled on the request path without serialising anything: a number is
 * copied into its field's Float64Array, a text becomes a code into the field's dictionary, and what a
 * request's rows share (its id, version, time) is held once per request. The encoding to Parquet at the
 * flush then copies those arrays as they are.
 */
export class PredictionColumns {
  rows = 0;
  /**
   * one per request: ids are unique, so a dictionary of them would only hash each one for nothing; kept
   * as bytes, since a string per request held until the flush is what the garbage collector promotes
   */
  private readonly requestIds = new Utf8List();
  private requestCodes: Int32Array;
  private index: Int32Array;
  private versions = new Dictionary();
  private versionCodes: Int32Array;
  private times = new Dictionary();
  private timeCodes: Int32Array;
  private readonly fields = { features: new Map<string, FieldColumn>(), prediction: new Map<string, FieldColumn>() };
  /** fields of an earlier batch, emptied, for this one to take up with their arrays */
  private readonly spare = { features: new Map<string, FieldColumn>(), prediction: new Map<string, FieldColumn>() };
  /** the fields in the order the last row listed them */
  private readonly order: Record<Group, FieldColumn[]> = { features: [], prediction: [] };
  /** JSON text per row, only for rows whose instance or prediction is not an object */
  private wholes: { features: string[]; prediction: string[] } | null = null;

  /** `capacity`: the rows expected, so that the arrays are not copied as they grow to it. */
  constructor(
    public model: string,
    public shadow: boolean,
    private capacity = 1024,
  ) {
    this.requestCodes = new Int32Array(capacity);
    this.index = new Int32Array(capacity);
    this.versionCodes = new Int32Array(capacity);
    this.timeCodes = new Int32Array(capacity);
  }

  add(requestId: string, version: string, time: string, instances: readonly unknown[], predictions: readonly unknown[]): void {
    const n = instances.length;
    if (this.rows + n > this.capacity) this.grow(Math.max(this.capacity * 2, this.rows + n));
    const request = this.requestIds.push(requestId);
    const v = this.versions.code(version);
    const t = this.times.code(time);
    const start = this.rows;
    this.requestCodes.fill(request, start, start + n);
    this.versionCodes.fill(v, start, start + n);
    this.timeCodes.fill(t, start, start + n);
    // each group's columns looked up once a request, not once a row: a lookup keyed by a variable is a slow one
    const { features, prediction } = this.order;
    for (let i = 0; i < n; i++) {
      this.index[start + i] = i;
      this.spread('features', features, start + i, instances[i]);
      this.spread('prediction', prediction, start + i, predictions[i]);
    }
    this.rows += n;
  }

  /**
   * Empty again, for another batch, keeping the arrays: a server flushing a batch every few hundred
   * milliseconds would otherwise allocate and zero a megabyte each time, and collect it after.
   */
  reuse(model: string, shadow: boolean): this {
    for (const group of ['features', 'prediction'] as const) {
      for (const [key, field] of this.fields[group]) {
        field.clear(this.rows);
        this.spare[group].set(key, field);
      }
      this.fields[group].clear();
      this.order[group].length = 0;
    }
    this.model = model;
    this.shadow = shadow;
    this.rows = 0;
    this.requestIds.clear();
    this.versions = new Dictionary();
    this.times = new Dictionary();
    this.wholes = null;
    return this;
  }

  private grow(capacity: number): void {
    this.capacity = capacity;
    this.requestCodes = grown(this.requestCodes, capacity);
    this.index = grown(this.index, capacity);
    this.versionCodes = grown(this.versionCodes, capacity);
    this.timeCodes = grown(this.timeCodes, capacity);
    for (const field of this.fields.features.values()) field.grow(capacity);
    for (const field of this.fields.prediction.values()) field.grow(capacity);
  }

  /** `order`: the group's fields in the order the last row listed them. */
  private spread(group: Group, order: FieldColumn[], row: number, value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.wholes ??= { features: [], prediction: [] };
      this.wholes[group][row] = JSON.stringify(value ?? null);
      return;
    }
    const object = value as Record<string, unknown>;
    let at = 0;
    for (const key in object) {
      // requests repeat one shape: the field at this position is most often the last row's
      let field: FieldColumn | undefined = order[at];
      if (field === undefined || field.key !== key) {
        const fields = this.fields[group];
        field = fields.get(key);
        if (!field) fields.set(key, (field = this.spareField(group, key) ?? new FieldColumn(group, key, this.capacity)));
        order[at] = field;
      }
      field.set(row, object[key]);
      at++;
    }
  }

  private spareField(group: Group, key: string): FieldColumn | undefined {
    const field = this.spare[group].get(key);
    if (!field) return undefined;
    this.spare[group].delete(key);
    field.grow(this.capacity);
    return field;
  }

  /** The batch as one Parquet file. */
  encode(): Buffer {
    const { columns, rows, metadata } = this.flatColumns();
    return writeFlatParquet(columns, rows, metadata);
  }

  /**
   * The same file, a column per turn of the event loop (see writeFlatParquetYielding): add nothing
   * meanwhile. `reuse`: an earlier file no longer needed, whose memory this one takes.
   */
  encodeYielding(reuse?: Buffer): Promise<Buffer> {
    const { columns, rows, metadata } = this.flatColumns();
    return writeFlatParquetYielding(columns, rows, metadata, reuse);
  }

  private flatColumns(): { columns: FlatColumn[]; rows: number; metadata: Record<string, string> } {
    const n = this.rows;
    const columns: FlatColumn[] = [
      { name: 'request_id', values: this.requestCodes, dictionary: this.requestIds, type: 'STRING', nullable: false },
      { name: 'index', values: this.index, type: 'INT32', nullable: false },
      { name: 'model_version', values: this.versionCodes, dictionary: this.versions.texts, type: 'STRING', nullable: false },
      { name: 'time', values: this.timeCodes, dictionary: this.times.texts, type: 'STRING', nullable: false },
    ];
    let first = this.times.texts[0];
    let last = first;
    for (const t of this.times.texts) {
      if (t < first) first = t;
      else if (t > last) last = t;
    }
    const layout: Layout = { version: 1, model: this.model, shadow: this.shadow, columns: {}, ...(n > 0 ? { first, last } : {}) };
    const taken = new Set<string>([...BASE, WHOLE.features, WHOLE.prediction]);
    for (const group of ['features', 'prediction'] as const) {
      for (const field of this.fields[group].values()) {
        let name = `${group}__${field.key}`;
        for (let k = 2; taken.has(name); k++) name = `${group}__${field.key}__${k}`;
        taken.add(name);
        const column = field.column(name, n);
        columns.push(column);
        layout.columns[name] = [group, field.key, column.type === 'JSON'];
      }
      if (this.wholes) columns.push({ name: WHOLE[group], values: Array.from({ length: n }, (_, i) => this.wholes![group][i] ?? null), type: 'STRING', nullable: true });
    }
    return { columns, rows: n, metadata: { [LAYOUT_KEY]: JSON.stringify(layout) } };
  }
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
