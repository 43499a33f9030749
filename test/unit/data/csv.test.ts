import { Readable } from 'node:stream';
import { MloopError } from '../../../shared/core/errors';
import { fieldNumber, fieldText } from '../../../shared/data/record_cells';
import { readCsv, STOP, type RecordHandler } from '../../../shared/data/csv';
import { streamOf } from '../../support/data_helpers';

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

const rows = (stream: Readable, onRecord: RecordHandler = () => undefined) => readCsv(stream, () => undefined, onRecord);

describe('readCsv', () => {
  it('checks the header: BOM stripped, names trimmed, none empty or twice', async () => {
    let header: string[] = [];
    await readCsv(streamOf('\ufeff a , b\n1,2\n'), (h) => (header = h), () => undefined);
    expect(header).toEqual(['a', 'b']);
    expect((await failure(rows(streamOf('a,b,a\n1,2,3\n')))).message).toMatch(/"a" appears twice.*columns 1 and 3/);
    expect((await failure(rows(streamOf('a, ,c\n1,2,3\n')))).message).toMatch(/column 2 .*empty name/);
    expect((await failure(rows(streamOf('a;b;c\n1;2;3\n')))).message).toMatch(/";"-separated/);
  });

  it('streams every row with its line number and rejects ragged rows instead of failing', async () => {
    const seen: Array<[string[], number]> = [];
    const text = 'a,b\r\n1,2\r\n3\r\n"multi\nline",4\r\n5,6,7\r\n\r\n8,9\r\n';
    const result = await rows(streamOf(text, 3), (rec) => {
      seen.push([[fieldText(rec, 0), fieldText(rec, 1)], rec.line]);
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

  it('rejects a row that is not UTF-8, naming the field, and refuses such a header', async () => {
    const latin1 = Buffer.concat([Buffer.from('name,amount\nAna,1\n'), Buffer.from('Jos\xe9,2\n', 'latin1'), Buffer.from('Bo,3\n')]);
    const amounts: number[] = [];
    const result = await rows(streamOf(latin1, 5), (rec) => {
      amounts.push(fieldNumber(rec, 1));
    });
    expect(amounts).toEqual([1, 3]);
    expect(result.rejected).toEqual([{ line: 3, reason: 'field "name" is not valid UTF-8; save the file as UTF-8' }]);
    expect((await failure(rows(streamOf(Buffer.from('nom,caf\xe9\n1,2\n', 'latin1'))))).message).toMatch(/header \(line 1\) is not valid UTF-8/);
  });

  it('lets the handler reject rows with a reason and keeps the first 100 rejections', async () => {
    const text = `x\n${Array.from({ length: 250 }, (_, i) => i).join('\n')}\n`;
    const result = await rows(streamOf(text), (rec) => (fieldNumber(rec, 0) % 2 ? 'odd' : undefined));
    expect(result.rows).toBe(125);
    expect(result.rejectedCount).toBe(125);
    expect(result.rejected).toHaveLength(100);
    expect(result.rejected[0]).toEqual({ line: 3, reason: 'odd' });
  });

  it('stops early when asked, releasing the stream', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        this.push(produced === 1 ? 'a,b\n' : '1,2\n'.repeat(1000));
      },
    });
    let seen = 0;
    await rows(endless, () => (++seen === 50 ? STOP : undefined));
    expect(seen).toBe(50);
    expect(endless.destroyed).toBe(true);
    expect(produced).toBeLessThan(5);
  });

  it('stops at unparsable CSV with the line where the bad record starts', async () => {
    expect((await failure(rows(streamOf('a,b\n1,2\n3,"never closed\n4,5\n')))).message).toMatch(/cannot parse the CSV at line 3: Quote Not Closed/);
    expect((await failure(rows(streamOf('a,b\n1,2\n3,x"y\n')))).message).toMatch(/at line 3: Invalid Opening Quote/);
  });

  it('accepts a header-only file as zero rows but not an empty one', async () => {
    expect(await rows(streamOf('a,b\n'))).toEqual({ header: ['a', 'b'], read: 0, rows: 0, rejected: [], rejectedCount: 0 });
    expect((await failure(rows(streamOf('')))).message).toMatch(/empty/);
    expect((await failure(rows(streamOf('\n\n')))).message).toMatch(/empty/);
  });

  it('passes on errors of the underlying stream', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(rows(broken)).rejects.toThrow('connection reset');
  });
});
