import { isUtf8 } from 'node:buffer';
import { MloopError } from '../core/errors';
import type { TypedCells } from './typed_cells';

/**
 * An RFC 4180 tokenizer over raw bytes. It never decodes the text: each record is handed over as field
 * offsets into its own buffer, so that a reader can parse numbers and look up categories straight from
 * the bytes, and a million rows cost no million arrays of strings.
 *
 * Records end at LF, CRLF or a lone CR (also mixed in one file); line numbers count those breaks inside
 * quoted fields too, so they are what an editor shows. A line with nothing on it is skipped. A quote
 * that opens mid-field, text after a closing quote and a quote never closed stop the read, as they do
 * in csv-parse: past them the record boundaries are guesswork.
 */
export interface CsvRecord {
  /** Valid only during the callback: the buffer is reused for the next chunk. */
  readonly buf: Buffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Per field: QUOTED when it was quoted, ESCAPED when its bytes still hold doubled quotes. */
  readonly flags: Uint8Array;
  readonly count: number;
  /** The line the record starts on, 1-based. */
  readonly line: number;
  /** False when the record's bytes are not valid UTF-8. */
  readonly utf8: boolean;
  /** Set when the cells come typed (a Parquet row) rather than as bytes; record_cells reads these instead. */
  readonly typed?: TypedCells;
}

export const QUOTED = 1;
export const ESCAPED = 2;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const INITIAL_BUFFER = 1 << 17;
const INITIAL_FIELDS = 64;
/** A record longer than this is almost always a quote left open that swallows the rest of the file. */
const MAX_RECORD_BYTES = 64 << 20;

function syntaxError(line: number, what: string, code: string): MloopError {
  return new MloopError('invalid_argument', `cannot parse the CSV at line ${line}: ${what}`, { line, csvCode: code });
}

/** Where `buf[from, to)` can be cut without splitting a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, from: number, to: number): number {
  let k = to - 1;
  while (k >= from && k >= to - 3 && (buf[k] & 0xc0) === 0x80) k--;
  return k >= from && buf[k] >= 0xc0 ? k : to;
}

class Record implements CsvRecord {
  buf: Buffer;
  starts = new Int32Array(INITIAL_FIELDS);
  ends = new Int32Array(INITIAL_FIELDS);
  flags = new Uint8Array(INITIAL_FIELDS);
  count = 0;
  line = 0;
  utf8 = true;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const flags = new Uint8Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    flags.set(this.flags);
    this.starts = starts;
    this.ends = ends;
    this.flags = flags;
  }
}

export class CsvScanner {
  private buf = Buffer.allocUnsafe(INITIAL_BUFFER);
  /** Bytes held. */
  private len = 0;
  /** Start of the first record not yet handed over. */
  private pos = 0;
  /** The line that record starts on. */
  private line = 1;
  /** The previous record ended in CR: an LF right after it belongs to the same break. */
  private skipLf = false;
  private started = false;
  /** Bytes before this offset have been checked for UTF-8. */
  private checked = 0;
  /** Offsets [badFrom, badTo) hold invalid UTF-8 somewhere; records there are checked one by one. */
  private badFrom = Infinity;
  private badTo = -1;
  /** A long incomplete record is scanned again only once the buffer has doubled, to stay linear. */
  private waitFor = 0;
  private readonly record: Record;

  constructor(private readonly onRecord: (record: CsvRecord) => void) {
    this.record = new Record(this.buf);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.append(chunk);
    if (!this.started && !this.start(false)) return;
    this.check(false);
    if (this.len - this.pos < this.waitFor) return;
    this.scan(false);
  }

  end(): void {
    if (!this.started) this.start(true);
    this.check(true);
    this.scan(true);
  }

  private append(chunk: Uint8Array): void {
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.checked = Math.max(0, this.checked - this.pos);
      this.badFrom -= this.pos;
      this.badTo -= this.pos;
      this.pos = 0;
    }
    const needed = this.len + chunk.length;
    if (needed > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < needed) size *= 2;
      const bigger = Buffer.allocUnsafe(size);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
      this.record.buf = bigger;
    }
    this.buf.set(chunk, this.len);
    this.len = needed;
  }

  /** Strips a UTF-8 byte order mark and refuses UTF-16 before anything is parsed. */
  private start(eof: boolean): boolean {
    const b = this.buf;
    if (this.len < 3 && !eof) return false;
    this.started = true;
    if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) {
      throw new MloopError('invalid_argument', 'the file is UTF-16; mloop reads UTF-8 CSV (save or export it as UTF-8)');
    }
    if (this.len >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) this.pos = 3;
    return true;
  }

  /** One native check per chunk; only a chunk that fails it costs a check per record. */
  private check(eof: boolean): void {
    const to = eof ? this.len : utf8Boundary(this.buf, this.checked, this.len);
    if (to <= this.checked) return;
    if (!isUtf8(this.buf.subarray(this.checked, to))) {
      this.badFrom = Math.min(this.badFrom, this.checked);
      this.badTo = to;
    }
    this.checked = to;
  }

  private scan(eof: boolean): void {
    const buf = this.buf;
    const len = this.len;
    const rec = this.record;
    let i = this.pos;
    let line = this.line;
    if (this.skipLf && i < len) {
      if (buf[i] === LF) i++;
      this.skipLf = false;
    }
    while (i < len) {
      const recordStart = i;
      const recordLine = line;
      let n = 0;
      let complete = false;
      let next = i;
      fields: for (;;) {
        if (n === rec.starts.length) rec.grow();
        if (i >= len) {
          if (!eof) break;
          rec.starts[n] = i;
          rec.ends[n] = i;
          rec.flags[n++] = 0;
          complete = true;
          next = i;
          break;
        }
        let c = buf[i];
        if (c === QUOTE) {
          const from = i + 1;
          let j = from;
          let escaped = 0;
          let closed = -1;
          while (j < len) {
            c = buf[j];
            if (c === QUOTE) {
              if (j + 1 < len) {
                if (buf[j + 1] === QUOTE) {
                  escaped = ESCAPED;
                  j += 2;
                  continue;
                }
              } else if (!eof) break;
              closed = j;
              j++;
              break;
            }
            if (c === CR || (c === LF && buf[j - 1] !== CR)) line++;
            j++;
          }
          if (closed < 0) {
            if (eof) throw syntaxError(recordLine, 'Quote Not Closed: a quoted field opens on this line and never closes', 'quote_not_closed');
            break;
          }
          rec.starts[n] = from;
          rec.ends[n] = closed;
          rec.flags[n++] = QUOTED | escaped;
          if (j >= len) {
            if (!eof) break;
            complete = true;
            next = j;
            break;
          }
          c = buf[j];
          if (c === COMMA) {
            i = j + 1;
            continue;
          }
          if (c !== LF && c !== CR) {
            throw syntaxError(recordLine, `Invalid Closing Quote: "${String.fromCharCode(c)}" follows the closing quote of field ${n}; only a comma or the end of the line may`, 'invalid_closing_quote');
          }
          i = j;
        } else {
          let j = i;
          while (j < len) {
            c = buf[j];
            if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
            j++;
          }
          if (j < len && c === QUOTE) {
            throw syntaxError(recordLine, `Invalid Opening Quote: a quote inside unquoted field ${n + 1}; quote the whole field and double the quotes in it`, 'invalid_opening_quote');
          }
          rec.starts[n] = i;
          rec.ends[n] = j;
          rec.flags[n++] = 0;
          if (j >= len) {
            if (!eof) break;
            complete = true;
            next = j;
            break;
          }
          if (c === COMMA) {
            i = j + 1;
            continue fields;
          }
          i = j;
        }
        // buf[i] is CR or LF: the record ends here
        line++;
        next = i + 1;
        if (buf[i] === CR) {
          if (next < len) {
            if (buf[next] === LF) next++;
          } else if (!eof) this.skipLf = true;
        }
        complete = true;
        break;
      }
      if (!complete) {
        line = recordLine;
        const held = len - recordStart;
        if (held > MAX_RECORD_BYTES) {
          throw syntaxError(recordLine, `the record starting here is longer than ${MAX_RECORD_BYTES >> 20} MiB; a quote is probably never closed`, 'record_too_large');
        }
        this.waitFor = held > INITIAL_BUFFER ? Math.min(held * 2, MAX_RECORD_BYTES + 1) : 0;
        this.pos = recordStart;
        this.line = line;
        return;
      }
      this.waitFor = 0;
      if (n > 1 || rec.flags[0] !== 0 || rec.ends[0] > rec.starts[0]) {
        const recordEnd = rec.ends[n - 1];
        rec.count = n;
        rec.line = recordLine;
        rec.utf8 = recordEnd <= this.badFrom || recordStart >= this.badTo || isUtf8(buf.subarray(recordStart, recordEnd));
        this.pos = next;
        this.line = line;
        this.onRecord(rec);
      }
      i = next;
    }
    this.pos = i;
    this.line = line;
  }
}
