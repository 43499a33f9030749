import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { MloopError } from '../../../shared/core/errors';
import { fieldKey, fieldMissing, fieldNumber, fieldText, type Trimmed } from '../../../shared/data/record_cells';
import { CsvScanner, type CsvRecord } from '../../../shared/data/csv_scan';
import { isMissing, parseNumber } from '../../../shared/data/values';

interface Scanned {
  fields: string[];
  line: number;
  utf8: boolean;
}

/** Feeds the bytes in pieces of the given sizes (cycled), as a stream would. */
function scan(bytes: Buffer, pieces: number[] = [bytes.length || 1], onRecord?: (rec: CsvRecord) => void): Scanned[] {
  const out: Scanned[] = [];
  const scanner = new CsvScanner((rec) => {
    onRecord?.(rec);
    out.push({ fields: Array.from({ length: rec.count }, (_, i) => fieldText(rec, i)), line: rec.line, utf8: rec.utf8 });
  });
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = Math.max(1, pieces[k % pieces.length]);
    scanner.push(bytes.subarray(at, at + size));
    at += size;
  }
  scanner.end();
  return out;
}

const text = (s: string, pieces?: number[]) => scan(Buffer.from(s, 'utf8'), pieces);
const fields = (s: string, pieces?: number[]) => text(s, pieces).map((r) => r.fields);

function syntaxError(fn: () => unknown): MloopError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MloopError);
    return err as MloopError;
  }
  throw new Error('expected a syntax error');
}

describe('CsvScanner', () => {
  it('splits fields and records, keeping quoted commas, quotes and newlines', () => {
    expect(text('a,b\n1,"x, ""y""\nz"\n2,\n')).toEqual([
      { fields: ['a', 'b'], line: 1, utf8: true },
      { fields: ['1', 'x, "y"\nz'], line: 2, utf8: true },
      { fields: ['2', ''], line: 4, utf8: true },
    ]);
  });

  it('reads LF, CRLF and lone CR, also mixed, and counts lines inside quoted fields', () => {
    const records = text('a\r\n"p\r\nq"\r\n\r\nb\rc\n"x\ry"\nlast');
    expect(records.map((r) => [r.fields[0], r.line])).toEqual([
      ['a', 1],
      ['p\r\nq', 2],
      ['b', 5],
      ['c', 6],
      ['x\ry', 7],
      ['last', 9],
    ]);
  });

  it('gives the same records whatever the chunk boundaries, even inside CRLF, quotes and UTF-8 characters', () => {
    const source = '\ufeffname,note\r\n"Zoë","a ""b""\r\nc"\r\nÅsa,€\r\n';
    const whole = text(source);
    for (const size of [1, 2, 3, 5, 7]) expect(text(source, [size])).toEqual(whole);
    expect(whole.map((r) => r.fields)).toEqual([['name', 'note'], ['Zoë', 'a "b"\r\nc'], ['Åsa', '€']]);
  });

  it('strips a UTF-8 BOM and refuses UTF-16', () => {
    expect(fields('\ufeffa\n1\n')).toEqual([['a'], ['1']]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\n1\n', 'utf16le')]);
    expect(syntaxError(() => scan(utf16)).message).toMatch(/UTF-16/);
  });

  it('skips empty lines but keeps a quoted empty field and whitespace', () => {
    expect(fields('a\n\n""\n \n\n')).toEqual([['a'], [''], [' ']]);
    expect(fields('a,b\n,\n')).toEqual([['a', 'b'], ['', '']]);
  });

  it('marks records that are not valid UTF-8, and only those', () => {
    const bytes = Buffer.concat([Buffer.from('name,n\nJosé,1\n'), Buffer.from([0x4a, 0x6f, 0x73, 0xe9]), Buffer.from(',2\nAna,3\n')]);
    for (const pieces of [[bytes.length], [1], [4, 3]]) {
      expect(scan(bytes, pieces).map((r) => r.utf8)).toEqual([true, true, false, true]);
    }
  });

  it('stops at a quote problem, naming the line where its record starts', () => {
    const at = (s: string) => syntaxError(() => text(s, [3]));
    expect(at('a,b\n1,2\n3,"never closed\n4,5\n').message).toMatch(/at line 3: Quote Not Closed/);
    expect(at('a,b\n1,2\n3,x"y\n').message).toMatch(/at line 3: Invalid Opening Quote/);
    expect(at('a,b\n"1\n2"x,3\n').message).toMatch(/at line 2: Invalid Closing Quote: "x"/);
    expect(at('a\n "x"\n').details).toEqual({ line: 2, csvCode: 'invalid_opening_quote' });
  });

  it('gives up on a record past 64 MiB, where a quote is almost surely left open', () => {
    const scanner = new CsvScanner(() => undefined);
    scanner.push(Buffer.from('a\n"'));
    const mib = Buffer.alloc(1 << 20, 0x61);
    expect(() => {
      for (let k = 0; k < 65; k++) scanner.push(mib);
    }).toThrow(/at line 2: the record starting here is longer than 64 MiB/);
  });

  it('hands over a record as offsets into its buffer, without copying fields', () => {
    const seen: number[] = [];
    scan(Buffer.from('a,b\n12,"x"\n'), [100], (rec) => {
      seen.push(rec.count, rec.ends[0] - rec.starts[0], rec.flags[1]);
    });
    expect(seen).toEqual([2, 1, 0, 2, 2, 1]);
  });
});

// ---------------------------------------------------------------- equivalence with csv-parse

const CELL_CHARS = ['a', 'b', 'Z', '1', '0', '.', '-', ' ', ',', '"', '\n', '\r\n', '\r', 'é', '€', '😀', '\t', ';'];
const cell = fc.array(fc.constantFrom(...CELL_CHARS), { maxLength: 6 }).map((parts) => parts.join(''));
const needsQuotes = (value: string) => /[",\r\n]/.test(value);

const table = fc.record({
  rows: fc.array(fc.array(fc.tuple(cell, fc.boolean()), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
  eol: fc.constantFrom('\n', '\r\n'),
  bom: fc.boolean(),
  trailingEol: fc.boolean(),
  blankAfter: fc.array(fc.nat(12), { maxLength: 3 }),
  pieces: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
});

type Table = typeof table extends fc.Arbitrary<infer T> ? T : never;

/** The CSV text, and the line each kept record starts on, counted while writing it; `raw` rows go in verbatim. */
function render(t: Table, raw?: { at: number; line: string }) {
  let out = t.bom ? '\ufeff' : '';
  let line = 1;
  const lines: number[] = [];
  t.rows.forEach((row, r) => {
    let encoded = row.map(([value, quote]) => (quote || needsQuotes(value) ? `"${value.replaceAll('"', '""')}"` : value)).join(',');
    if (raw && raw.at % t.rows.length === r) encoded = raw.line;
    if (encoded !== '') lines.push(line);
    out += encoded;
    line += (encoded.match(/\r\n|\r|\n/g) ?? []).length;
    if (r < t.rows.length - 1 || t.trailingEol) {
      out += t.eol;
      line++;
    }
    for (const blank of t.blankAfter) {
      if (blank === r && r < t.rows.length - 1) {
        out += t.eol;
        line++;
      }
    }
  });
  return { source: out, lines };
}

describe('CsvScanner against csv-parse', () => {
  it('parses random RFC 4180 files into the same records, with the right line numbers', () => {
    fc.assert(
      fc.property(table, (t) => {
        const { source, lines } = render(t);
        const expected = parse(source, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
        const got = text(source, t.pieces);
        expect(got.map((r) => r.fields)).toEqual(expected);
        expect(got.map((r) => r.line)).toEqual(lines);
      }),
      { numRuns: 400 },
    );
  });

  it('fails where csv-parse fails', () => {
    const broken = fc.tuple(table, fc.constantFrom('x"y', '"x"y', '"open', ' "x"'), fc.nat());
    fc.assert(
      fc.property(broken, ([t, bad, at]) => {
        const withBad = render(t, { at, line: bad }).source;
        let theirs: unknown = null;
        try {
          parse(withBad, { bom: true, relax_column_count: true, skip_empty_lines: true });
        } catch (err) {
          theirs = err;
        }
        let ours: unknown = null;
        try {
          text(withBad, t.pieces);
        } catch (err) {
          ours = err;
        }
        expect(ours === null).toBe(theirs === null);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- cells from bytes equal values.ts on strings

function oneField(value: string, quoted = false): { rec: CsvRecord; text: string } {
  let captured: { rec: CsvRecord; text: string } | null = null;
  const source = quoted ? `"${value.replaceAll('"', '""')}"` : value;
  const scanner = new CsvScanner((rec) => {
    // copied out of the callback, since the scanner reuses its buffer
    captured = { rec: { ...rec, buf: Buffer.from(rec.buf), starts: rec.starts.slice(), ends: rec.ends.slice(), flags: rec.flags.slice() }, text: fieldText(rec, 0) };
  });
  scanner.push(Buffer.from(`${source},\n`, 'utf8'));
  scanner.end();
  return captured!;
}

const numberish = fc.oneof(
  fc.double({ noNaN: false }).map(String),
  fc.integer().map(String),
  fc.array(fc.constantFrom('0', '1', '9', '.', '-', '+', 'e', 'E', ' ', 'x', 'Infinity', 'NaN', 'na', 'NULL', '_', '\u00a0', '00'), { maxLength: 8 }).map((p) => p.join('')),
  fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.nat(25)).map(([m, k]) => {
    const digits = (m < 0n ? -m : m).toString().padStart(k + 1, '0');
    return `${m < 0n ? '-' : ''}${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}`;
  }),
);

describe('cells read from bytes', () => {
  it('parse numbers exactly as parseNumber does', () => {
    fc.assert(
      fc.property(numberish, fc.constantFrom('', ' ', '\t'), fc.boolean(), (value, pad, quoted) => {
        const { rec, text: t } = oneField(`${pad}${value}${pad}`, quoted);
        expect(Object.is(fieldNumber(rec, 0), parseNumber(t))).toBe(true);
      }),
      { numRuns: 3000 },
    );
    for (const value of ['0.1', '123.45', '-0', '1e22', '1.7976931348623157e308', '5e-324', '0x1F', '9007199254740993', ' 12 ', '\u00a012']) {
      const { rec, text: t } = oneField(value);
      expect([value, fieldNumber(rec, 0)]).toEqual([value, parseNumber(t)]);
    }
  });

  it('see missing values and trimmed keys as the string functions do', () => {
    const words = fc.array(fc.constantFrom('n', 'N', 'a', 'A', 'u', 'l', 'L', ' ', '\u00a0', '\u3000', '"', 'é', 'x'), { maxLength: 6 }).map((p) => p.join(''));
    const key: Trimmed = { buf: new Uint8Array(0), start: 0, end: 0 };
    fc.assert(
      fc.property(words, fc.boolean(), (value, quoted) => {
        fc.pre(quoted || !/["\r\n,]/.test(value));
        const { rec, text: t } = oneField(value, quoted);
        expect(fieldMissing(rec, 0)).toBe(isMissing(t));
        fieldKey(rec, 0, key);
        expect(Buffer.from(key.buf.subarray(key.start, key.end)).toString('utf8')).toBe(t.trim());
      }),
      { numRuns: 2000 },
    );
  });
});
