import type { Readable } from 'node:stream';
import { parse, type Options } from 'csv-parse';
import { MloopError } from '../core/errors';

/**
 * CSV reading on csv-parse, always streaming: datasets can be far larger than memory is comfortable
 * with, and the sniff must answer after reading only the start of a file.
 */
export interface CsvSniff {
  header: string[];
  sample: string[][];
  rowsSampled: number;
}

export interface CsvReadResult {
  header: string[];
  /** Rows handed to onRow and accepted by it. */
  rows: number;
  /** The first MAX_REJECTED rejected rows, in file order. */
  rejected: Array<{ line: number; reason: string }>;
  rejectedCount: number;
}

/** Returning a string rejects the row with that reason; returning nothing accepts it. */
export type RowHandler = (cells: string[], line: number) => string | void;

const MAX_REJECTED = 100;

interface Positioned {
  cells: string[];
  line: number;
}

/**
 * Records with the line each one starts on. csv-parse reports the line a record ends on; a quoted field
 * can span lines, and a person looks for the start, so the start is derived from the previous end and
 * the empty lines skipped in between. This runs inside the parser, not where records are consumed, so
 * that a parse error can name its line even while parsed records still wait in the stream's buffer.
 */
async function* records(stream: Readable): AsyncGenerator<Positioned> {
  let lastEnd = 0;
  let lastEmpty = 0;
  const options: Options<Positioned, string[]> = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    on_record: (cells, info) => {
      const line = lastEnd + 1 + (info.empty_lines - lastEmpty);
      lastEnd = info.lines;
      lastEmpty = info.empty_lines;
      return { cells, line };
    },
  };
  // csv-parse types a transforming on_record only for its `columns` overload; the runtime takes it anyway
  const parser = parse(options as unknown as Options);
  stream.on('error', (err) => parser.destroy(err));
  stream.pipe(parser);
  try {
    yield* parser as AsyncIterable<Positioned>;
  } catch (err) {
    throw parseError(err, lastEnd, lastEmpty);
  } finally {
    stream.unpipe(parser);
    stream.destroy();
    parser.destroy();
  }
}

function parseError(err: unknown, lastEnd: number, lastEmpty: number): Error {
  const e = err as { code?: unknown; message?: string; empty_lines?: unknown };
  if (typeof e.code === 'string' && (e.code.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE')) {
    const skipped = typeof e.empty_lines === 'number' ? e.empty_lines - lastEmpty : 0;
    const line = lastEnd + 1 + Math.max(0, skipped);
    return new MloopError('invalid_argument', `cannot parse the CSV at line ${line}: ${e.message}`, { line, csvCode: e.code });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function checkHeader(raw: string[]): string[] {
  const header = raw.map((name) => name.trim());
  if (header.length === 1 && /[;\t|]/.test(header[0])) {
    const sep = header[0].match(/[;\t|]/)![0];
    throw new MloopError('invalid_argument', `the header looks ${sep === '\t' ? 'tab' : `"${sep}"`}-separated; mloop reads comma-separated CSV`);
  }
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new MloopError('invalid_argument', `column ${i + 1} of the header (line 1) has an empty name`);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new MloopError('invalid_argument', `column name "${name}" appears twice in the header (columns ${first + 1} and ${i + 1})`);
    }
    seen.set(name, i);
  });
  return header;
}

const ragged = (got: number, want: number) => `has ${got} fields but the header has ${want}`;

/** Reads the header and up to sampleRows rows, then releases the stream. */
export async function sniffCsv(stream: Readable, sampleRows = 2000): Promise<CsvSniff> {
  let header: string[] | null = null;
  const sample: string[][] = [];
  for await (const { cells, line } of records(stream)) {
    if (header === null) {
      header = checkHeader(cells);
      continue;
    }
    if (cells.length !== header.length) {
      throw new MloopError('invalid_argument', `line ${line} ${ragged(cells.length, header.length)}`, { line });
    }
    sample.push(cells);
    if (sample.length >= sampleRows) break;
  }
  if (header === null) throw new MloopError('invalid_argument', 'the CSV file is empty');
  if (sample.length === 0) {
    throw new MloopError('invalid_argument', 'the CSV file has a header but no data rows');
  }
  return { header, sample, rowsSampled: sample.length };
}

/** The full pass: ragged rows are recorded and skipped so one bad line does not sink a large file. */
export async function readCsvRows(stream: Readable, onRow: RowHandler): Promise<CsvReadResult> {
  let header: string[] | null = null;
  let rows = 0;
  let rejectedCount = 0;
  const rejected: CsvReadResult['rejected'] = [];
  const reject = (line: number, reason: string) => {
    rejectedCount++;
    if (rejected.length < MAX_REJECTED) rejected.push({ line, reason });
  };
  for await (const { cells, line } of records(stream)) {
    if (header === null) {
      header = checkHeader(cells);
      continue;
    }
    if (cells.length !== header.length) {
      reject(line, ragged(cells.length, header.length));
      continue;
    }
    const reason = onRow(cells, line);
    if (typeof reason === 'string') reject(line, reason);
    else rows++;
  }
  if (header === null) throw new MloopError('invalid_argument', 'the CSV file is empty');
  return { header, rows, rejected, rejectedCount };
}
