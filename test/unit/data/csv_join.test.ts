import { createHash } from 'node:crypto';
import { joinCsv, type JoinedSource } from '../../../shared/data/csv_join';

function source(...chunks: string[]): JoinedSource {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const c of chunks) yield Buffer.from(c);
  }
  return { open: async () => bytes() };
}

async function joined(sources: JoinedSource[]): Promise<string> {
  const out: Buffer[] = [];
  for await (const b of joinCsv(sources)) out.push(b);
  return Buffer.concat(out).toString();
}

describe('joinCsv', () => {
  it('keeps the first header only, even when a header is split across chunks', async () => {
    expect(await joined([source('a,b\n1,2\n'), source('a,', 'b\n3,4\n')])).toBe('a,b\n1,2\n3,4\n');
  });

  it('puts a line break between a source whose last line lacks one and the next', async () => {
    expect(await joined([source('a,b\n1,2'), source('a,b\n3,4')])).toBe('a,b\n1,2\n3,4');
  });

  it('takes the header from the first source with bytes: an empty first part drops nothing', async () => {
    expect(await joined([source(), source('a,b\n1,2\n'), source(''), source('a,b\n5,6\n')])).toBe('a,b\n1,2\n5,6\n');
  });

  it('hands each source the SHA-256 of all its bytes, header included, and stops when it throws', async () => {
    const seen: string[] = [];
    const text = 'a,b\n3,4\n';
    await joined([source('a,b\n1,2\n'), { ...source('a,b', '\n3,4\n'), verify: (h) => seen.push(h) }]);
    expect(seen).toEqual([createHash('sha256').update(text).digest('hex')]);
    const failing = { ...source('a,b\n1,2\n'), verify: () => { throw new Error('changed'); } };
    await expect(joined([failing, source('a,b\n3,4\n')])).rejects.toThrow('changed');
  });
});
