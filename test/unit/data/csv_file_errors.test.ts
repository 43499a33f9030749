import { MloopError } from '../../../shared/core/errors';
import { readCsv } from '../../../shared/data/csv';
import { aboutFile } from '../../../shared/data/csv_file_errors';
import { streamOf } from '../../support/data_helpers';

/** A CSV error read through aboutFile names the file, and the line when the reader knows it. */
async function errorOf(file: string, text: string | Buffer): Promise<MloopError> {
  try {
    await aboutFile(file, () => readCsv(streamOf(text), () => undefined, () => undefined));
  } catch (err) {
    expect(err).toBeInstanceOf(MloopError);
    return err as MloopError;
  }
  throw new Error('expected a failure');
}

describe('aboutFile', () => {
  it('puts file:line in front of a syntax error, with the usual fix, and keeps the code and details', async () => {
    const err = await errorOf('data/a.csv', 'x,y\n1,2\n3,"open\n4,5\n');
    expect(err.message).toMatch(/^data\/a\.csv:3: cannot parse the CSV at line 3: Quote Not Closed.*must be in double quotes/);
    expect(err.code).toBe('invalid_argument');
    expect(err.details).toMatchObject({ line: 3, file: 'data/a.csv', csvCode: 'quote_not_closed' });
  });

  it('names line 1 for a header that cannot be read, without the syntax hint', async () => {
    const err = await errorOf('semi.csv', 'a;b;c\n1;2;3\n');
    expect(err.message).toBe('semi.csv:1: the header looks ";"-separated; mloop reads comma-separated CSV');
    expect((await errorOf('twice.csv', 'a,b,a\n1,2,3\n')).message).toMatch(/^twice\.csv:1: column name "a" appears twice/);
    // "Café" in Latin-1
    expect((await errorOf('latin1.csv', Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0a, 0x31, 0x0a]))).message).toMatch(/^latin1\.csv:1: the header \(line 1\) is not valid UTF-8/);
  });

  it('names the file alone when no line applies, and leaves an error that already names it', async () => {
    expect((await errorOf('empty.csv', '')).message).toBe('empty.csv: the CSV file is empty');
    const named = new MloopError('not_found', 'x.csv: no such file');
    await expect(aboutFile('x.csv', () => Promise.reject(named))).rejects.toBe(named);
    const other = new Error('not an mloop error');
    await expect(aboutFile('x.csv', () => Promise.reject(other))).rejects.toBe(other);
  });
});
