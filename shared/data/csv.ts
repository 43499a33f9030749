import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { MloopError } from '../core/errors';
import { fieldText } from './record_cells';
import { CsvScanner, type CsvRecord } from './csv_scan';

/**
 * Reading a CSV dataset from a stream, one pass, chunk by chunk: the header is checked, and rows that
 * cannot be used as they are (ragged, not UTF-8) are rejected with their line and a reason instead of
 * failing the file, so that one bad line does not sink a large file.
 *
 * Invalid UTF-8 is rejected rather than replaced: replacing would merge distinct categories ("Café" in
 * Latin-1 and "Cafè" both become "Caf�") and train on values nobody wrote.
 */
export interface Rejection {
  line: number;
  reason: string;
}

export interface CsvReadResult {
  header: string[];
  /** Data records read: every non-empty line after the header, accepted or not. */
  read: number;
  /** Records handed to onRecord and accepted by it. */
  rows: number;
  /** The first MAX_REJECTED rejections, in file order. */
  rejected: Rejection[];
  rejectedCount: number;
}

export const MAX_REJECTED = 100;

/** Returned by a record handler to end the read early; the stream is released. */
export const STOP = Symbol('stop');

/** Returning a string rejects the record with that reason; returning nothing accepts it. */
export type RecordHandler = (record: CsvRecord) => string | typeof STOP | void;

/** Header errors carry their line too, for a caller that names the file (csv_file_errors.ts). */
const HEADER = { line: 1 };

function checkHeader(raw: string[]): string[] {
  const header = raw.map((name) => name.trim());
  if (header.length === 1 && /[;\t|]/.test(header[0])) {
    const sep = header[0].match(/[;\t|]/)![0];
    throw new MloopError('invalid_argument', `the header looks ${sep === '\t' ? 'tab' : `"${sep}"`}-separated; mloop reads comma-separated CSV`, HEADER);
  }
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new MloopError('invalid_argument', `column ${i + 1} of the header (line 1) has an empty name`, HEADER);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new MloopError('invalid_argument', `column name "${name}" appears twice in the header (columns ${first + 1} and ${i + 1})`, HEADER);
    }
    seen.set(name, i);
  });
  return header;
}

const ragged = (got: number, want: number) => `has ${got} fields but the header has ${want}`;

function notUtf8(rec: CsvRecord, header: string[]): string {
  let field = 0;
  while (field < rec.count - 1 && isUtf8(rec.buf.subarray(rec.starts[field], rec.ends[field]))) field++;
  return `field "${header[field]}" is not valid UTF-8; save the file as UTF-8`;
}

/**
 * Reads the stream to its end (or until onRecord returns STOP). onHeader sees the checked header before
 * any record; it may throw to refuse the file.
 */
export async function readCsv(
  stream: Readable,
  onHeader: (header: string[]) => void,
  onRecord: RecordHandler,
): Promise<CsvReadResult> {
  let header: string[] | null = null;
  let width = 0;
  let read = 0;
  let rows = 0;
  let rejectedCount = 0;
  let stopped = false;
  const rejected: Rejection[] = [];
  const reject = (line: number, reason: string) => {
    rejectedCount++;
    if (rejected.length < MAX_REJECTED) rejected.push({ line, reason });
  };
  const scanner = new CsvScanner((rec) => {
    if (stopped) return;
    if (header === null) {
      if (!rec.utf8) throw new MloopError('invalid_argument', 'the header (line 1) is not valid UTF-8; save the file as UTF-8', HEADER);
      header = checkHeader(Array.from({ length: rec.count }, (_, i) => fieldText(rec, i)));
      width = header.length;
      onHeader(header);
      return;
    }
    read++;
    if (rec.count !== width) return reject(rec.line, ragged(rec.count, width));
    if (!rec.utf8) return reject(rec.line, notUtf8(rec, header));
    const outcome = onRecord(rec);
    if (outcome === STOP) stopped = true;
    else if (typeof outcome === 'string') reject(rec.line, outcome);
    else rows++;
  });
  try {
    for await (const chunk of stream) {
      scanner.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array));
      if (stopped) break;
    }
    if (!stopped) scanner.end();
  } finally {
    stream.destroy();
  }
  if (header === null) throw new MloopError('invalid_argument', 'the CSV file is empty');
  return { header, read, rows, rejected, rejectedCount };
}
