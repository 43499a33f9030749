import { Readable } from 'node:stream';
import { MloopError } from '../../shared/core/errors';
import { readCsvRows, sniffCsv } from '../../shared/data/csv';

const streamOf = (text: string, chunk = 0) => {
  const bytes = Buffer.from(text, 'utf8');
  if (!chunk) return Readable.from([bytes]);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
};

async function failure(promise: Promise<unknown>): Promise<MloopError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MloopError);
    expect((err as MloopError).code).toBe('invalid_argument');
    return err as MloopError;
  }
  throw new Error('expected a failure');
}

describe('sniffCsv', () => {
  it('reads the header and a sample, stripping a BOM and trimming names', async () => {
    const sniff = await sniffCsv(streamOf('\ufeff a , b\n1,2\n3,4\n'));
    expect(sniff).toEqual({ header: ['a', 'b'], sample: [['1', '2'], ['3', '4']], rowsSampled: 2 });
  });

  it('keeps quoted commas and newlines inside one field', async () => {
    const sniff = await sniffCsv(streamOf('id,note\n1,"hello, ""world""\nsecond line"\n2,plain\n', 5));
    expect(sniff.sample).toEqual([['1', 'hello, "world"\nsecond line'], ['2', 'plain']]);
  });

  it('reads only the start and releases the stream', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        this.push(produced === 1 ? 'a,b\n' : '1,2\n'.repeat(1000));
      },
    });
    const sniff = await sniffCsv(endless, 50);
    expect(sniff.rowsSampled).toBe(50);
    expect(endless.destroyed).toBe(true);
    expect(produced).toBeLessThan(50);
  });

  it('reports an empty file and a file with only a header', async () => {
    expect((await failure(sniffCsv(streamOf('')))).message).toMatch(/empty/);
    expect((await failure(sniffCsv(streamOf('\n\n')))).message).toMatch(/empty/);
    expect((await failure(sniffCsv(streamOf('a,b\n')))).message).toMatch(/header but no data rows/);
  });

  it('reports duplicate and empty column names', async () => {
    expect((await failure(sniffCsv(streamOf('a,b,a\n1,2,3\n')))).message).toMatch(/"a" appears twice.*columns 1 and 3/);
    expect((await failure(sniffCsv(streamOf('a, ,c\n1,2,3\n')))).message).toMatch(/column 2 .*empty name/);
  });

  it('reports a ragged row with its line number, counting quoted newlines and blank lines', async () => {
    const err = await failure(sniffCsv(streamOf('a,b\n1,"x\ny"\n\n3,4,5\n')));
    expect(err.message).toBe('line 5 has 3 fields but the header has 2');
    expect(err.details).toEqual({ line: 5 });
  });

  it('reports unparsable CSV with the line where the bad record starts', async () => {
    expect((await failure(sniffCsv(streamOf('a,b\n1,2\n3,"never closed\n4,5\n')))).message).toMatch(/cannot parse the CSV at line 3: Quote Not Closed/);
    expect((await failure(sniffCsv(streamOf('a,b\n1,2\n3,x"y\n')))).message).toMatch(/at line 3: Invalid Opening Quote/);
  });

  it('points out a file separated by something else than commas', async () => {
    expect((await failure(sniffCsv(streamOf('a;b;c\n1;2;3\n')))).message).toMatch(/";"-separated/);
  });

  it('passes on errors of the underlying stream', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(sniffCsv(broken)).rejects.toThrow('connection reset');
  });
});

describe('readCsvRows', () => {
  it('streams every row with its line number and rejects ragged rows instead of failing', async () => {
    const seen: Array<[string[], number]> = [];
    const text = 'a,b\r\n1,2\r\n3\r\n"multi\nline",4\r\n5,6,7\r\n\r\n8,9\r\n';
    const result = await readCsvRows(streamOf(text, 3), (cells, line) => {
      seen.push([cells, line]);
    });
    expect(seen).toEqual([[['1', '2'], 2], [['multi\nline', '4'], 4], [['8', '9'], 8]]);
    expect(result).toEqual({
      header: ['a', 'b'],
      read: 5,
      rows: 3,
      rejected: [
        { line: 3, reason: 'has 1 fields but the header has 2' },
        { line: 6, reason: 'has 3 fields but the header has 2' },
      ],
      rejectedCount: 2,
    });
  });

  it('lets the handler reject rows with a reason and keeps the first 100 rejections', async () => {
    const text = `x\n${Array.from({ length: 250 }, (_, i) => i).join('\n')}\n`;
    const result = await readCsvRows(streamOf(text), (cells) => (Number(cells[0]) % 2 ? 'odd' : undefined));
    expect(result.rows).toBe(125);
    expect(result.rejectedCount).toBe(125);
    expect(result.rejected).toHaveLength(100);
    expect(result.rejected[0]).toEqual({ line: 3, reason: 'odd' });
  });

  it('accepts a header-only file as zero rows but not an empty one', async () => {
    expect(await readCsvRows(streamOf('a,b\n'), () => undefined)).toEqual({ header: ['a', 'b'], read: 0, rows: 0, rejected: [], rejectedCount: 0 });
    await failure(readCsvRows(streamOf(''), () => undefined));
  });
});
