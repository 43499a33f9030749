import type { Utf8List } from '../utf8_list';

/**
 * A Parquet file of flat columns (no nesting), written in one pass into one buffer: one row group, one
 * uncompressed data page (v1) per column, PLAIN values, strings dictionary-encoded when they repeat.
 * It exists for the prediction log, which writes a file per flush while the server is scoring: a
 * general-purpose writer (hyparquet-writer) spent 3.7 µs of CPU per logged row there, encoding string
 * by string and sampling every column for a dictionary; this one writes numbers by copying and strings
 * with Buffer.write. The format is the Apache Parquet specification's (parquet.thrift, compact protocol),
 * which hyparquet, pyarrow and BigQuery read.
 */
export type FlatType = 'DOUBLE' | 'INT32' | 'BOOLEAN' | 'STRING' | 'JSON';

export interface FlatColumn {
  name: string;
  type: FlatType;
  /**
   * One value per row; null (or undefined) only in a nullable column. JSON values are serialised here.
   * A Float64Array (DOUBLE) or Int32Array (INT32) is copied as it is, not value by value; with
   * `dictionary`, the values are indexes into it.
   */
  values: ArrayLike<unknown>;
  nullable: boolean;
  /** Which rows hold a value (1) and which are null (0), for values in a typed array, which has no null. */
  defined?: Uint8Array;
  /**
   * STRING values as indexes into these texts: what repeats is held once, from the request path on; as a
   * Utf8List, texts kept as their bytes (one per request) are copied as they are.
   */
  dictionary?: readonly string[] | Utf8List;
}

// Parquet's PLAIN numbers are little-endian: a typed array's bytes are them on such a host
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

// parquet.thrift enums
const PHYSICAL = { DOUBLE: 5, INT32: 1, BOOLEAN: 0, STRING: 6, JSON: 6 } as const;
const CONVERTED = { UTF8: 0, JSON: 19 } as const;
const REQUIRED = 0;
const OPTIONAL = 1;
const ENCODING = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3, RLE_DICTIONARY: 8 } as const;
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;
const UNCOMPRESSED = 0;
const MAGIC = Buffer.from('PAR1');
const SCRATCH_BYTES = 64 * 1024;

export function writeFlatParquet(columns: readonly FlatColumn[], rows: number, metadata: Record<string, string> = {}): Buffer {
  const steps = flatParquetSteps(columns, rows, metadata);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same file, written a column at a time with a turn of the event loop between columns: a server
 * encoding its log batch (a few milliseconds for 10 000 rows) answers the requests that arrive meanwhile
 * instead of holding them all until the file is done. The columns must not change until it resolves.
 */
export async function writeFlatParquetYielding(columns: readonly FlatColumn[], rows: number, metadata: Record<string, string> = {}, reuse?: Buffer): Promise<Buffer> {
  const steps = flatParquetSteps(columns, rows, metadata, reuse);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The writer, pausing after each column. `reuse`: a file this wrote before and its caller is done with,
 * whose memory the new file takes (grown if need be), so that a server writing a file every few hundred
 * milliseconds does not hand the garbage collector megabytes of external memory each time.
 */
function* flatParquetSteps(columns: readonly FlatColumn[], rows: number, metadata: Record<string, string>, reuse?: Buffer): Generator<void, Buffer, void> {
  const size = 4096 + rows * columns.length * 12;
  // a small Buffer may be a slice of Node's shared pool (Buffer.poolSize bytes), whose other bytes are other buffers'
  const own = reuse !== undefined && reuse.buffer.byteLength > Buffer.poolSize;
  const out = own ? new Output(Buffer.from(reuse.buffer, reuse.byteOffset, reuse.buffer.byteLength - reuse.byteOffset)).reset(size) : new Output(size);
  out.bytes(MAGIC);
  const chunks: Thrift[] = [];
  let totalBytes = 0;
  for (const column of columns) {
    const start = out.length;
    const chunk = writeColumn(out, column, rows);
    totalBytes += out.length - start;
    chunks.push(chunk);
    yield;
  }
  const schema: Thrift[] = [
    [[4, 'binary', 'schema'], [5, 'i32', columns.length]],
    ...columns.map((c): Thrift => {
      const fields: Thrift = [[1, 'i32', PHYSICAL[c.type]], [3, 'i32', c.nullable ? OPTIONAL : REQUIRED], [4, 'binary', c.name]];
      if (c.type === 'STRING') fields.push([6, 'i32', CONVERTED.UTF8]);
      if (c.type === 'JSON') fields.push([6, 'i32', CONVERTED.JSON]);
      return fields;
    }),
  ];
  const footer: Thrift = [
    [1, 'i32', 1],
    [2, 'list', ['struct', schema]],
    [3, 'i64', rows],
    [4, 'list', ['struct', [[[1, 'list', ['struct', chunks]], [2, 'i64', totalBytes], [3, 'i64', rows]]]]],
    [5, 'list', ['struct', Object.entries(metadata).map(([key, value]): Thrift => [[1, 'binary', key], [2, 'binary', value]])]],
    [6, 'binary', 'mloop'],
  ];
  const start = out.length;
  writeStruct(out, footer);
  out.uint32(out.length - start);
  out.bytes(MAGIC);
  return out.result();
}

/** Writes the column's pages and returns its ColumnChunk. */
function writeColumn(out: Output, column: FlatColumn, rows: number): Thrift {
  const { values, nullable, type, defined: flags, dictionary: given } = column;
  const has = flags ? (i: number) => flags[i] === 1 : (i: number) => values[i] !== null && values[i] !== undefined;
  const present: number[] | null = nullable ? [] : null;
  if (present) for (let i = 0; i < rows; i++) if (has(i)) present.push(i);
  const count = present ? present.length : rows;
  const at = (k: number) => values[present ? present[k] : k];

  const body = (scratch ??= new Output(SCRATCH_BYTES)).reset(64 + count * 9);
  if (present) {
    // definition levels, RLE at bit width 1, behind their byte length (data page v1)
    const levels = new Output(16);
    let i = 0;
    while (i < rows) {
      const defined = has(i);
      let j = i + 1;
      while (j < rows && has(j) === defined) j++;
      levels.varint((j - i) * 2);
      levels.byte(defined ? 1 : 0);
      i = j;
    }
    body.uint32(levels.length);
    body.bytes(levels.view());
  }

  let dictionaryOffset: number | null = null;
  let encoding: number = ENCODING.PLAIN;
  if (type === 'DOUBLE' && values instanceof Float64Array && LITTLE_ENDIAN) body.bytes(bytesOf(present ? Float64Array.from(present, (i) => values[i]) : values.subarray(0, rows)));
  else if (type === 'INT32' && values instanceof Int32Array && LITTLE_ENDIAN) body.bytes(bytesOf(present ? Int32Array.from(present, (i) => values[i]) : values.subarray(0, rows)));
  else if (type === 'DOUBLE') for (let k = 0; k < count; k++) body.double(at(k) as number);
  else if (type === 'INT32') for (let k = 0; k < count; k++) body.int32(at(k) as number);
  else if (type === 'BOOLEAN') {
    for (let k = 0; k < count; k += 8) {
      let bits = 0;
      for (let b = 0; b < 8 && k + b < count; b++) if (at(k + b)) bits |= 1 << b;
      body.byte(bits);
    }
  } else if (given && !(count > 0 && given.length <= count / 2)) {
    // an index per row into texts that barely repeat (one request id per row): plainly
    if (Array.isArray(given)) for (let k = 0; k < count; k++) body.text((given as readonly string[])[at(k) as number]);
    else for (let k = 0; k < count; k++) body.byteArray((given as Utf8List).bytes(at(k) as number));
  } else {
    let texts: string[] = [];
    let dictionary: Iterable<string> | Utf8List;
    let size: number;
    let indexes: Int32Array;
    if (given) {
      dictionary = given;
      size = given.length;
      indexes = values instanceof Int32Array && !present ? values : Int32Array.from({ length: count }, (_, k) => at(k) as number);
    } else {
      texts = new Array<string>(count);
      for (let k = 0; k < count; k++) texts[k] = type === 'JSON' ? JSON.stringify(at(k)) : (at(k) as string);
      const found = new Map<string, number>();
      indexes = new Int32Array(count);
      // a column of ids or names repeats nothing: its first 64 values say so before a dictionary of thousands is built
      const limit = uniqueIn(texts, 64) > 32 ? 0 : count / 2;
      for (let k = 0; k < count && found.size <= limit; k++) {
        let index = found.get(texts[k]);
        if (index === undefined) found.set(texts[k], (index = found.size));
        indexes[k] = index;
      }
      dictionary = found.keys();
      size = found.size <= limit ? found.size : -1;
    }
    if (count > 0 && size >= 0) {
      const page = new Output(64 + size * 16);
      if (isUtf8List(dictionary)) for (let i = 0; i < size; i++) page.byteArray(dictionary.bytes(i));
      else for (const text of dictionary) page.text(text);
      dictionaryOffset = out.length;
      writePage(out, PAGE.DICTIONARY, page, [7, 'struct', [[1, 'i32', size], [2, 'i32', ENCODING.PLAIN_DICTIONARY]]]);
      // indexes: bit width, then RLE runs (runs are long: a request's rows share their id and time)
      const width = Math.max(1, Math.ceil(Math.log2(size)));
      const bytes = Math.ceil(width / 8);
      body.byte(width);
      let k = 0;
      while (k < count) {
        let j = k + 1;
        while (j < count && indexes[j] === indexes[k]) j++;
        body.varint((j - k) * 2);
        for (let b = 0; b < bytes; b++) body.byte((indexes[k] >>> (8 * b)) & 0xff);
        k = j;
      }
      encoding = ENCODING.RLE_DICTIONARY;
    } else {
      for (let k = 0; k < count; k++) body.text(texts[k]);
    }
  }

  const dataOffset = out.length;
  const header: Thrift = [[1, 'i32', rows], [2, 'i32', encoding], [3, 'i32', ENCODING.RLE], [4, 'i32', ENCODING.RLE]];
  writePage(out, PAGE.DATA, body, [5, 'struct', header]);
  const encodings = [ENCODING.RLE, encoding, ...(dictionaryOffset === null ? [] : [ENCODING.PLAIN_DICTIONARY])];
  const size = out.length - (dictionaryOffset ?? dataOffset);
  const meta: Thrift = [
    [1, 'i32', PHYSICAL[type]],
    [2, 'list', ['i32', encodings]],
    [3, 'list', ['binary', [column.name]]],
    [4, 'i32', UNCOMPRESSED],
    [5, 'i64', rows],
    [6, 'i64', size],
    [7, 'i64', size],
    [9, 'i64', dataOffset],
  ];
  if (dictionaryOffset !== null) meta.push([11, 'i64', dictionaryOffset]);
  return [[2, 'i64', dataOffset], [3, 'struct', meta]];
}

function isUtf8List(texts: Iterable<string> | Utf8List): texts is Utf8List {
  return !(Symbol.iterator in texts);
}

function bytesOf(values: Float64Array | Int32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * One column's page body at a time, reused by every column of every file: a log flush encodes a dozen
 * columns of a few hundred kB, and fresh buffers for each cost page faults and garbage collections
 * (external memory) on the request path's thread. The file writer is synchronous, so nothing else uses it
 * meanwhile; a body is copied into the file before the next column resets it.
 */
let scratch: Output | undefined;

function uniqueIn(texts: string[], first: number): number {
  return new Set(texts.slice(0, first)).size;
}

function writePage(out: Output, type: number, body: Output, header: [number, 'struct', Thrift]): void {
  writeStruct(out, [[1, 'i32', type], [2, 'i32', body.length], [3, 'i32', body.length], header]);
  out.bytes(body.view());
}

// --- Thrift compact protocol, the subset parquet.thrift's footer and page headers need ---

type Value = number | string | Thrift | [ElementType, unknown[]];
type ElementType = 'i32' | 'binary' | 'struct';
type Field = [number, 'i32' | 'i64' | 'binary' | 'list' | 'struct', Value];
type Thrift = Field[];
const TYPE = { i32: 5, i64: 6, binary: 8, list: 9, struct: 12 } as const;

function writeStruct(out: Output, fields: Thrift): void {
  let last = 0;
  for (const [id, type, value] of fields) {
    const delta = id - last;
    if (delta > 0 && delta <= 15) out.byte((delta << 4) | TYPE[type]);
    else {
      out.byte(TYPE[type]);
      out.varint(id * 2);
    }
    last = id;
    writeValue(out, type, value);
  }
  out.byte(0);
}

function writeValue(out: Output, type: Field[1] | ElementType, value: unknown): void {
  if (type === 'i32' || type === 'i64') out.varint(zigzag(value as number));
  else if (type === 'binary') {
    const text = value as string;
    out.varint(Buffer.byteLength(text));
    out.rawText(text);
  } else if (type === 'struct') writeStruct(out, value as Thrift);
  else {
    const [element, items] = value as [ElementType, unknown[]];
    if (items.length < 15) out.byte((items.length << 4) | TYPE[element]);
    else {
      out.byte(0xf0 | TYPE[element]);
      out.varint(items.length);
    }
    for (const item of items) writeValue(out, element, item);
  }
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** A growing byte buffer. */
class Output {
  /** Empties it for reuse, with room for `size` bytes: what is reused is memory already touched. */
  reset(size: number): this {
    this.length = 0;
    this.room(size);
    return this;
  }

  private buffer: Buffer;
  length = 0;

  constructor(sizeOrBuffer: number | Buffer) {
    this.buffer = typeof sizeOrBuffer === 'number' ? Buffer.allocUnsafe(sizeOrBuffer) : sizeOrBuffer;
  }

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buffer[this.length++] = b;
  }

  /** Unsigned LEB128, exact up to 2^53. */
  varint(n: number): void {
    this.room(10);
    while (n >= 0x80) {
      this.buffer[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buffer[this.length++] = n;
  }

  uint32(n: number): void {
    this.room(4);
    this.length = this.buffer.writeUInt32LE(n, this.length);
  }

  int32(n: number): void {
    this.room(4);
    this.length = this.buffer.writeInt32LE(n, this.length);
  }

  double(n: number): void {
    this.room(8);
    this.length = this.buffer.writeDoubleLE(n, this.length);
  }

  /** A PLAIN byte array: its length, then its UTF-8 bytes. */
  text(text: string): void {
    this.room(4 + text.length * 3);
    const start = this.length + 4;
    const written = this.buffer.write(text, start, 'utf8');
    this.buffer.writeUInt32LE(written, this.length);
    this.length = start + written;
  }

  /** A PLAIN byte array already in UTF-8: its length, then the bytes. */
  byteArray(bytes: Uint8Array): void {
    this.room(4 + bytes.length);
    this.buffer.writeUInt32LE(bytes.length, this.length);
    this.buffer.set(bytes, this.length + 4);
    this.length += 4 + bytes.length;
  }

  rawText(text: string): void {
    this.room(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  bytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
