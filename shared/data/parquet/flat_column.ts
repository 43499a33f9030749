import type { ColumnDecoder, DataReader, DecodedArray, PageHeader } from 'hyparquet/src/types.js';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert } from 'hyparquet/src/convert.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { readPlain } from 'hyparquet/src/plain.js';
import type { TypedCell } from '../typed_cells';

/**
 * One flat column chunk decoded straight into mloop's cells, with hyparquet's page parts (headers,
 * codecs, RLE, plain values, type conversion) but not its general nested-record assembly, which builds
 * every value through Dremel's levels into growing arrays and cost most of the read on a table of
 * nullable columns. Dictionary pages are converted once and looked up by index. Numbers and times go
 * into a Float64Array (NaN for null), other kinds into an array with null. Anything this path does not
 * cover (delta or byte-stream-split encodings, boolean RLE pages, bit-packed levels) answers null, and
 * the caller reads that chunk through hyparquet's general path instead.
 */
const view = (b: Uint8Array): DataReader => ({ view: new DataView(b.buffer, b.byteOffset, b.byteLength), offset: 0 });

/**
 * A string column as its UTF-8 bytes, undecoded and without an object per value: value r is
 * bytes[starts[r], ends[r]), or missing when starts[r] is -1.
 */
export class ByteColumn {
  constructor(
    readonly bytes: Uint8Array,
    readonly starts: Int32Array,
    readonly ends: Int32Array,
  ) {}

  get length(): number {
    return this.starts.length;
  }
}

/**
 * One column's arrays, kept from a row group to the next by a reader whose consumer is done with a
 * group when it takes the next (records.ts): a million-row file is then a few arrays per column, not a
 * few per column and row group, each big enough for V8 to allocate and collect on its own.
 */
export class ColumnBuffers {
  numbers: Float64Array | null = null;
  starts: Int32Array | null = null;
  ends: Int32Array | null = null;
  arena: Arena | null = null;
}

function float64s(buffers: ColumnBuffers | undefined, rows: number): Float64Array {
  if (!buffers) return new Float64Array(rows);
  if (!buffers.numbers || buffers.numbers.length < rows) buffers.numbers = new Float64Array(rows);
  return buffers.numbers.subarray(0, rows);
}

function offsets(buffers: ColumnBuffers | undefined, rows: number): { starts: Int32Array; ends: Int32Array; arena: Arena } {
  if (!buffers) return { starts: new Int32Array(rows), ends: new Int32Array(rows), arena: new Arena() };
  if (!buffers.starts || buffers.starts.length < rows) {
    buffers.starts = new Int32Array(rows);
    buffers.ends = new Int32Array(rows);
  }
  buffers.arena ??= new Arena();
  buffers.arena.used = 0;
  return { starts: buffers.starts.subarray(0, rows), ends: buffers.ends!.subarray(0, rows), arena: buffers.arena };
}

/** Where the pages' string bytes are copied, a page at a time, so values are offsets rather than views. */
class Arena {
  bytes = new Uint8Array(1 << 16);
  used = 0;

  append(src: Uint8Array): number {
    if (this.used + src.length > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.used + src.length));
      bigger.set(this.bytes.subarray(0, this.used));
      this.bytes = bigger;
    }
    const base = this.used;
    this.bytes.set(src, base);
    this.used += src.length;
    return base;
  }
}

/** PLAIN BYTE_ARRAY values (a 4-byte length before each) copied to the arena: each value's offsets. */
function plainByteArrays(arena: Arena, page: Uint8Array, count: number): { starts: Int32Array; ends: Int32Array } {
  const base = arena.append(page);
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  let p = 0;
  for (let j = 0; j < count; j++) {
    const length = (page[p] | (page[p + 1] << 8) | (page[p + 2] << 16) | (page[p + 3] << 24)) >>> 0;
    p += 4;
    if (p + length > page.length) throw new Error('parquet string value runs past its page');
    starts[j] = base + p;
    ends[j] = base + p + length;
    p += length;
  }
  return { starts, ends };
}

/**
 * Per-page scratch for definition levels and dictionary codes, reused from page to page (a page is
 * spread into the column before the next is opened): a million-row column is dozens of pages, and an
 * array per page each was a good part of the read's garbage.
 */
let defsScratch = new Uint8Array(1 << 14);
let codesScratch = new Int32Array(1 << 14);
function scratchDefs(n: number): Uint8Array {
  if (defsScratch.length < n) defsScratch = new Uint8Array(Math.max(n, defsScratch.length * 2));
  return defsScratch.subarray(0, n);
}
function scratchCodes(n: number): Int32Array {
  if (codesScratch.length < n) codesScratch = new Int32Array(Math.max(n, codesScratch.length * 2));
  return codesScratch.subarray(0, n);
}

/** An INT64 column with no logical type, or a signed 64-bit integer one: its values are plain numbers. */
function plainInt64(decoder: ColumnDecoder): boolean {
  const { element } = decoder;
  if (decoder.type !== 'INT64') return false;
  const logical = element.logical_type;
  if (logical) return logical.type === 'INTEGER' && logical.bitWidth === 64 && logical.isSigned;
  return element.converted_type === undefined || element.converted_type === 'INT_64';
}

/**
 * PLAIN INT64 values straight to doubles, from their two 32-bit halves: hi·2³² is exact and adding the
 * low half rounds once, so each is what Number(bigint) gives, without a bigint per value.
 */
function int64Doubles(page: Uint8Array, count: number): Float64Array {
  if (page.length < count * 8) throw new Error('parquet INT64 values run past their page');
  const out = new Float64Array(count);
  const view = new DataView(page.buffer, page.byteOffset, count * 8);
  for (let j = 0; j < count; j++) out[j] = view.getInt32(j * 8 + 4, true) * 4294967296 + view.getUint32(j * 8, true);
  return out;
}

/** hyparquet's INT64 values are bigint and its default times Date; mloop's cells are doubles. */
export function toCells(data: ArrayLike<unknown>): ArrayLike<TypedCell> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data as ArrayLike<bigint>, Number);
  if (ArrayBuffer.isView(data)) return data as unknown as ArrayLike<number>;
  const arr = data as unknown[];
  let out: TypedCell[] | null = null;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v === 'bigint' || v === undefined || v instanceof Date) {
      out ??= arr.slice() as TypedCell[];
      out[i] = typeof v === 'bigint' ? Number(v) : v === undefined ? null : v.getTime();
    }
  }
  return out ?? (arr as TypedCell[]);
}

/** Numbers as a Float64Array (NaN for null), so that the loops below read one kind of array. */
export function asFloat64(values: ArrayLike<TypedCell>): Float64Array {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] as number | null) ?? NaN;
  return out;
}

/**
 * rawStrings: a plain string column's values stay the bytes the file holds (a Uint8Array each), for a
 * reader that keys categories by bytes anyway; decoding a million distinct names is most of their cost.
 */
export function decodeFlatChunk(
  bytes: Uint8Array,
  rows: number,
  decoder: ColumnDecoder,
  numeric: boolean,
  rawStrings = false,
  buffers?: ColumnBuffers,
): ArrayLike<TypedCell> | ByteColumn | null {
  const { element, type, codec, compressors } = decoder;
  if (rawStrings && type === 'BYTE_ARRAY') return decodeByteChunk(bytes, rows, decoder, buffers);
  const nullable = element.repetition_type !== 'REQUIRED';
  const numbers = numeric ? float64s(buffers, rows) : null;
  const cells = numeric ? null : new Array<TypedCell>(rows);
  const int64 = plainInt64(decoder);
  let dictionary: ArrayLike<TypedCell> | undefined;
  let row = 0;
  const reader = view(bytes);
  while (row < rows && reader.offset < bytes.byteLength) {
    const header = parquetHeader(reader);
    const body = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(body, header.uncompressed_page_size, codec, compressors);
      const raw = readPlain(view(page), type, header.dictionary_page_header!.num_values, element.type_length);
      dictionary = rawStrings ? (raw as unknown as TypedCell[]) : toCells(convert(raw, decoder));
      if (numeric) dictionary = asFloat64(dictionary);
      continue;
    }
    if (header.type === 'INDEX_PAGE') continue;
    const opened = openDataPage(header, body, nullable, decoder);
    if (!opened) return null;
    const { n, encoding, values, defs, present } = opened;
    let plain: ArrayLike<TypedCell> | null = null;
    let codes: Int32Array | null = null;
    if (encoding === 'PLAIN' && numeric && int64) {
      plain = int64Doubles(values, present);
    } else if (encoding === 'PLAIN') {
      const raw = readPlain(view(values), type, present, element.type_length) as DecodedArray;
      plain = rawStrings ? (raw as unknown as TypedCell[]) : toCells(convert(raw, decoder));
      if (numeric) plain = asFloat64(plain);
    } else if ((encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') && dictionary) {
      codes = scratchCodes(present);
      const r = view(values);
      const width = values[r.offset++];
      // width 0: a one-value dictionary, every code 0 (the scratch still holds the last page's codes)
      if (width) readRleBitPackedHybrid(r, width, codes, values.length - 1);
      else codes.fill(0);
    } else {
      return null;
    }
    // One loop per case: a single loop over every array kind runs several times slower in V8.
    const take = Math.min(n, rows - row);
    if (numbers) row = spreadNumbers(numbers, row, take, defs, codes, codes ? dictionary! : plain!);
    else row = spreadCells(cells!, row, take, defs, codes, codes ? dictionary! : plain!);
  }
  return row === rows ? (numbers ?? cells!) : null;
}

function spreadNumbers(out: Float64Array, row: number, n: number, defs: Uint8Array | null, codes: Int32Array | null, source: ArrayLike<TypedCell>): number {
  const values = source as Float64Array;
  let k = 0;
  if (defs === null && codes === null) {
    out.set(values.subarray(0, n), row);
  } else if (defs === null) {
    for (let i = 0; i < n; i++) out[row + i] = values[codes![i]];
  } else if (codes === null) {
    for (let i = 0; i < n; i++) out[row + i] = defs[i] === 0 ? NaN : values[k++];
  } else {
    for (let i = 0; i < n; i++) out[row + i] = defs[i] === 0 ? NaN : values[codes[k++]];
  }
  return row + n;
}

function spreadCells(out: TypedCell[], row: number, n: number, defs: Uint8Array | null, codes: Int32Array | null, values: ArrayLike<TypedCell>): number {
  let k = 0;
  if (defs === null && codes === null) {
    for (let i = 0; i < n; i++) out[row + i] = values[i];
  } else if (defs === null) {
    for (let i = 0; i < n; i++) out[row + i] = values[codes![i]];
  } else if (codes === null) {
    for (let i = 0; i < n; i++) out[row + i] = defs[i] === 0 ? null : values[k++];
  } else {
    for (let i = 0; i < n; i++) out[row + i] = defs[i] === 0 ? null : values[codes[k++]];
  }
  return row + n;
}

/** decodeFlatChunk for a string column kept as bytes: the same pages, into a ByteColumn. */
function decodeByteChunk(bytes: Uint8Array, rows: number, decoder: ColumnDecoder, buffers?: ColumnBuffers): ByteColumn | null {
  const { element, codec, compressors } = decoder;
  const nullable = element.repetition_type !== 'REQUIRED';
  const { starts, ends, arena } = offsets(buffers, rows);
  let dictionary: { starts: Int32Array; ends: Int32Array } | undefined;
  let row = 0;
  const reader = view(bytes);
  while (row < rows && reader.offset < bytes.byteLength) {
    const header = parquetHeader(reader);
    const body = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(body, header.uncompressed_page_size, codec, compressors);
      dictionary = plainByteArrays(arena, page, header.dictionary_page_header!.num_values);
      continue;
    }
    if (header.type === 'INDEX_PAGE') continue;
    const opened = openDataPage(header, body, nullable, decoder);
    if (!opened) return null;
    const { n, encoding, values, defs, present } = opened;
    let source: { starts: Int32Array; ends: Int32Array };
    let codes: Int32Array | null = null;
    if (encoding === 'PLAIN') {
      source = plainByteArrays(arena, values, present);
    } else if ((encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') && dictionary) {
      codes = scratchCodes(present);
      const r = view(values);
      const width = values[r.offset++];
      // width 0: a one-value dictionary, every code 0 (the scratch still holds the last page's codes)
      if (width) readRleBitPackedHybrid(r, width, codes, values.length - 1);
      else codes.fill(0);
      source = dictionary;
    } else {
      return null;
    }
    const take = Math.min(n, rows - row);
    let k = 0;
    for (let i = 0; i < take; i++, row++) {
      if (defs !== null && defs[i] === 0) {
        starts[row] = -1;
        ends[row] = -1;
        continue;
      }
      const j = codes === null ? k++ : codes[k++];
      starts[row] = source.starts[j];
      ends[row] = source.ends[j];
    }
  }
  return row === rows ? new ByteColumn(arena.bytes.subarray(0, arena.used), starts, ends) : null;
}

interface DataPage {
  n: number;
  encoding: string;
  values: Uint8Array;
  /** Definition levels (1 present, 0 null) of a nullable column, else null. */
  defs: Uint8Array | null;
  present: number;
}

/** A v1 or v2 data page opened: its levels read, its values' bytes decompressed; null where this path does not go. */
function openDataPage(header: PageHeader, body: Uint8Array, nullable: boolean, decoder: ColumnDecoder): DataPage | null {
  const { codec, compressors } = decoder;
  let defs: Uint8Array | null = null;
  let n: number;
  let encoding: string;
  let values: Uint8Array;
  if (header.type === 'DATA_PAGE') {
    const h = header.data_page_header!;
    if (nullable && h.definition_level_encoding !== 'RLE') return null;
    n = h.num_values;
    encoding = h.encoding;
    const page = decompressPage(body, header.uncompressed_page_size, codec, compressors);
    const r = view(page);
    if (nullable) {
      defs = scratchDefs(n);
      readRleBitPackedHybrid(r, 1, defs);
    }
    values = page.subarray(r.offset);
  } else if (header.type === 'DATA_PAGE_V2') {
    const h = header.data_page_header_v2!;
    if (h.repetition_levels_byte_length) return null;
    n = h.num_values;
    encoding = h.encoding;
    if (nullable) {
      defs = scratchDefs(n);
      readRleBitPackedHybrid(view(body), 1, defs, h.definition_levels_byte_length);
    }
    const rest = body.subarray(h.definition_levels_byte_length);
    const size = header.uncompressed_page_size - h.definition_levels_byte_length;
    values = h.is_compressed !== false && size ? decompressPage(rest, size, codec, compressors) : rest;
  } else {
    return null;
  }
  let present = n;
  if (defs) {
    present = 0;
    for (let i = 0; i < n; i++) present += defs[i];
    // a nullable column's page without a null is read as a required one's: a copy, not a loop per value
    if (present === n) defs = null;
  }
  return { n, encoding, values, defs, present };
}
