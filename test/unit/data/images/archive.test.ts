import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, createGzip } from 'node:zlib';
import { ArchiveRefused, entryKind, readArchive, safeEntryName, type ArchiveEntry, type ArchiveSource, type ReadArchiveOptions } from '../../../../shared/data/images/archive';
import { makeTar, makeZip, uniquePng } from './fixtures';

async function entries(source: ArchiveSource, options?: ReadArchiveOptions): Promise<ArchiveEntry[]> {
  const out: ArchiveEntry[] = [];
  for await (const e of readArchive(source, options)) out.push(e);
  return out;
}

async function refusal(source: ArchiveSource, options?: ReadArchiveOptions): Promise<ArchiveRefused> {
  try {
    await entries(source, options);
  } catch (err) {
    if (err instanceof ArchiveRefused) return err;
    throw err;
  }
  throw new Error('the archive was not refused');
}

describe('entry names', () => {
  test.each([
    ['../x.png', 'climbs out'],
    ['a/../../x.png', 'climbs out'],
    ['/etc/passwd', 'absolute'],
    ['C:/x.png', 'absolute'],
    ['a\\..\\x.png', 'backslash'],
    ['a\0.png', 'NUL'],
  ])('%j is refused (%s)', (name, why) => {
    expect(() => safeEntryName(name)).toThrow(why);
    expect(() => safeEntryName(name)).toThrow(ArchiveRefused);
  });

  test('names are made canonical: ./ and empty segments go, Unicode is NFC', () => {
    expect(safeEntryName('./cats//a.png')).toBe('cats/a.png');
    expect(safeEntryName('cafe\u0301/x.png')).toBe('caf\u00e9/x.png');
  });

  test('kinds: images by extension, labels.csv, the rest ignored (dot files and __MACOSX too)', () => {
    expect(['a/b.JPG', 'a/b.jpeg', 'b.png', 'x/y.webp', 'labels.csv', 'a/notes.txt', '.DS_Store', '__MACOSX/a/._b.png', 'a/.hidden.png'].map(entryKind)).toEqual([
      'image', 'image', 'image', 'image', 'labels', 'ignored', 'ignored', 'ignored', 'ignored',
    ]);
  });
});

describe('zip', () => {
  const png = uniquePng(1);

  test('reads images with their bytes, reports folders and ignored entries without reading them', async () => {
    const zip = makeZip([
      { name: 'cats/' },
      { name: 'cats/a.png', data: png, deflate: true },
      { name: 'dogs/b.png', data: png },
      { name: 'README.md', data: Buffer.from('hello') },
    ]);
    const got = await entries(zip);
    expect(got.map((e) => [e.name, e.kind, e.size])).toEqual([
      ['cats', 'directory', 0],
      ['cats/a.png', 'image', png.length],
      ['dogs/b.png', 'image', png.length],
      ['README.md', 'ignored', 5],
    ]);
    expect(got[1].bytes!.equals(png)).toBe(true);
    expect(got[3].bytes).toBeUndefined();
  });

  test('reads from a file too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'archive-'));
    try {
      const file = path.join(dir, 'a.zip');
      writeFileSync(file, makeZip([{ name: 'c/ü.png', data: png }]));
      expect((await entries(file)).map((e) => e.name)).toEqual(['c/ü.png']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('zip-slip: an entry named ../x.png refuses the archive', async () => {
    const err = await refusal(makeZip([{ name: 'ok/a.png', data: png }, { name: '../x.png', data: png }]));
    expect(err.reason).toBe('unsafe_path');
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('../x.png');
  });

  test('backslashes of old Windows zips read as folders, and cannot smuggle a .. past the check', async () => {
    expect((await entries(makeZip([{ name: 'cats\\a.png', data: png }]))).map((e) => e.name)).toEqual(['cats/a.png']);
    expect((await refusal(makeZip([{ name: 'a\\..\\..\\x.png', data: png }]))).reason).toBe('unsafe_path');
  });

  test('an absolute path refuses the archive', async () => {
    expect((await refusal(makeZip([{ name: '/tmp/x.png', data: png }]))).reason).toBe('unsafe_path');
  });

  test('a symlink entry refuses the archive', async () => {
    const err = await refusal(makeZip([{ name: 'cats/a.png', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]));
    expect(err.reason).toBe('link_entry');
    expect(err.entry).toBe('cats/a.png');
  });

  test('a decompression bomb: a small entry that inflates past the entry limit is refused before it is inflated', async () => {
    const bomb = makeZip([{ name: 'cats/bomb.png', data: Buffer.alloc(48 * 1024 * 1024), deflate: true }]);
    expect(bomb.length).toBeLessThan(100 * 1024);
    const err = await refusal(bomb);
    expect(err.reason).toBe('entry_too_large');
    expect(err.message).toMatch(/decompression bomb/);
  });

  test('many entries that together pass the total limit are refused', async () => {
    const zip = makeZip(Array.from({ length: 8 }, (_, i) => ({ name: `c/${i}.png`, data: Buffer.alloc(1000), deflate: true })));
    const err = await refusal(zip, { limits: { maxTotalBytes: 5000 } });
    expect(err.reason).toBe('archive_too_large');
  });

  test('more entries than allowed are refused from the directory alone', async () => {
    const zip = makeZip(Array.from({ length: 5 }, (_, i) => ({ name: `c/${i}.png`, data: png })));
    expect((await refusal(zip, { limits: { maxEntries: 4 } })).reason).toBe('too_many_entries');
  });

  test('an entry whose declared size lies is caught while inflating', async () => {
    const zip = makeZip([{ name: 'c/a.png', data: Buffer.alloc(10_000), deflate: true }]);
    // shrink the declared uncompressed size in the central directory (last entry: 22-byte end record + name + 46)
    const central = zip.length - 22 - 'c/a.png'.length - 46;
    zip.writeUInt32LE(100, central + 24);
    const err = await refusal(zip);
    expect(err.reason).toBe('corrupt_archive');
  });

  test('the same name twice refuses the archive', async () => {
    expect((await refusal(makeZip([{ name: 'c/a.png', data: png }, { name: 'c/a.png', data: uniquePng(2) }]))).reason).toBe('duplicate_entry');
  });

  test('bytes that are no archive, and a truncated zip, are refused with a reason', async () => {
    expect((await refusal(Buffer.from('just some text, not an archive at all'))).reason).toBe('unknown_format');
    const zip = makeZip([{ name: 'c/a.png', data: png }]);
    expect((await refusal(zip.subarray(0, zip.length - 30))).reason).toBe('corrupt_archive');
  });

  test('the read filter leaves unwanted images unread', async () => {
    const got = await entries(makeZip([{ name: 'c/a.png', data: png }, { name: 'c/b.png', data: png }]), { read: (name) => name === 'c/b.png' });
    expect(got.map((e) => Boolean(e.bytes))).toEqual([false, true]);
  });
});

describe('tar and tar.gz', () => {
  const png = uniquePng(3);

  test('reads a tar and a tar.gz, from bytes and from a stream', async () => {
    const tarBytes = await makeTar([
      { name: 'cats', type: 'directory' },
      { name: 'cats/a.png', data: png },
      { name: 'notes.txt', data: Buffer.from('x') },
    ]);
    const expected = [['cats', 'directory'], ['cats/a.png', 'image'], ['notes.txt', 'ignored']];
    expect((await entries(tarBytes)).map((e) => [e.name, e.kind])).toEqual(expected);
    expect((await entries(gzipSync(tarBytes))).map((e) => [e.name, e.kind])).toEqual(expected);
    const stream = Readable.from([tarBytes]).pipe(createGzip());
    const streamed = await entries({ stream, format: 'tar.gz' });
    expect(streamed.map((e) => [e.name, e.kind])).toEqual(expected);
    expect(streamed[1].bytes!.equals(png)).toBe(true);
  });

  test.each([
    ['symlink', 'link_entry'],
    ['link', 'link_entry'],
  ] as const)('a %s entry refuses the archive', async (type, reason) => {
    const tarBytes = await makeTar([{ name: 'cats/a.png', data: png }, { name: 'cats/b.png', type, linkname: '/etc/passwd' }]);
    const err = await refusal(tarBytes);
    expect(err.reason).toBe(reason);
    expect(err.entry).toBe('cats/b.png');
  });

  test('zip-slip in a tar is refused', async () => {
    expect((await refusal(await makeTar([{ name: '../../x.png', data: png }]))).reason).toBe('unsafe_path');
  });

  test('a tar.gz bomb (an entry declared past the limit) is refused before its bytes are kept', async () => {
    const bomb = gzipSync(await makeTar([{ name: 'c/a.png', data: Buffer.alloc(40 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect((await refusal(bomb)).reason).toBe('entry_too_large');
  });

  test('a tar.gz that inflates past the total limit is refused, even through ignored entries', async () => {
    const bomb = gzipSync(await makeTar(Array.from({ length: 6 }, (_, i) => ({ name: `junk/${i}.bin`, data: Buffer.alloc(100_000) }))));
    expect((await refusal(bomb, { limits: { maxTotalBytes: 300_000 } })).reason).toBe('archive_too_large');
  });

  test('a truncated tar.gz is refused as corrupt', async () => {
    const gz = gzipSync(await makeTar([{ name: 'c/a.png', data: uniquePng(4, 64) }]));
    expect((await refusal(gz.subarray(0, gz.length >> 1))).reason).toBe('corrupt_archive');
  });
});
