import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { LocalObjectStore } from '../../shared/platform/local/object_store';
import { localHome, type LocalHome } from './local_fixtures';
import { expectCode, removeDir, runHelper, tempDir } from './support';

describe('LocalObjectStore on disk', () => {
  let local: LocalHome;
  let root: string;
  let store: LocalObjectStore;

  beforeEach(() => {
    local = localHome();
    root = path.join(local.home, 'buckets');
    store = new LocalObjectStore(local.db, root);
  });
  afterEach(() => local.cleanup());

  test('an object is a file at <root>/<bucket>/<name>', async () => {
    await store.put('data', 'datasets/iris/v1.csv', 'a,b\n');
    expect(fs.readFileSync(path.join(root, 'data', 'datasets', 'iris', 'v1.csv'), 'utf8')).toBe('a,b\n');
  });

  test.each([
    ['absolute', '/etc/passwd'],
    ['climbing', '../outside'],
    ['climbing from inside', 'a/../../outside'],
    ['a dot segment', 'a/./b'],
    ['an empty segment', 'a//b'],
    ['a trailing slash', 'folder/'],
    ['a backslash', 'a\\..\\b'],
    ['a NUL', 'a\u0000b'],
    ['a control character', 'a\u0007b'],
    ['the temp folder', '.mloop-tmp/x'],
    ['the temp folder prefix', '.mloop-tmpfile'],
    ['just dots', '..'],
  ])('a name with %s is refused everywhere, and nothing is written', async (_label, name) => {
    const before = fs.readdirSync(local.home).sort();
    await expectCode(store.put('data', name, 'x'), 'invalid_argument');
    await expectCode(store.get('data', name), 'invalid_argument');
    await expectCode(store.stat('data', name), 'invalid_argument');
    await expectCode(store.delete('data', name), 'invalid_argument');
    expect(fs.readdirSync(local.home).sort()).toEqual(before);
    expect(fs.existsSync(path.join(local.home, 'outside'))).toBe(false);
  });

  test.each(['Data', '../b', 'a', '.hidden', 'a/b', 'x'.repeat(64)])('bucket name %j is refused', async (bucket) => {
    await expectCode(store.put(bucket, 'x', 'x'), 'invalid_argument');
    await expectCode(store.list(bucket), 'invalid_argument');
  });

  test('a folder linked out of the bucket is not written through', async () => {
    const outside = tempDir('mloop-outside');
    try {
      fs.mkdirSync(path.join(root, 'data'), { recursive: true });
      fs.symlinkSync(outside, path.join(root, 'data', 'link'));
      await expectCode(store.put('data', 'link/escaped', 'x'), 'invalid_argument');
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      removeDir(outside);
    }
  });

  test('staged writes leave nothing behind and never show in listings', async () => {
    await store.put('data', 'a', '1');
    await expectCode(store.put('data', 'a', '2', { ifGenerationMatch: '0' }), 'failed_precondition');
    expect(fs.readdirSync(path.join(root, 'data', '.mloop-tmp'))).toEqual([]);
    expect((await store.list('data')).map((o) => o.name)).toEqual(['a']);
  });

  test('an object cannot also be a folder of objects on disk', async () => {
    await store.put('data', 'a/b', '1');
    await expectCode(store.put('data', 'a', '2'), 'failed_precondition');
    await store.put('data', 'c', '1');
    await expectCode(store.put('data', 'c/d', '2'), 'failed_precondition');
    expect((await store.list('data')).map((o) => o.name)).toEqual(['a/b', 'c']);
  });

  test('deleting the last object of a folder removes the folder, so its name is free again', async () => {
    await store.put('data', 'a/b/c', '1');
    await store.delete('data', 'a/b/c');
    expect(fs.existsSync(path.join(root, 'data', 'a'))).toBe(false);
    await store.put('data', 'a', 'now a file');
    expect((await store.get('data', 'a')).toString()).toBe('now a file');
  });

  test('a file copied in by hand blocks a create-only write even before the watcher sees it', async () => {
    fs.mkdirSync(path.join(root, 'data', 'datasets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data', 'datasets', 'manual.csv'), 'x\n');
    await expectCode(store.put('data', 'datasets/manual.csv', 'y\n', { ifGenerationMatch: '0' }), 'failed_precondition');
    expect(fs.readFileSync(path.join(root, 'data', 'datasets', 'manual.csv'), 'utf8')).toBe('x\n');
  });

  test('metadata outlives the process: another handle sees the same object', async () => {
    const written = await store.put('data', 'models/m/1/model.onnx', Buffer.from([1, 2, 3]));
    const other = new LocalObjectStore(local.openAgain(), root);
    expect(await other.stat('data', 'models/m/1/model.onnx')).toEqual(written);
    expect(written.contentType).toBe('application/octet-stream');
    expect((await store.put('data', 'x.csv', 'a')).contentType).toBe('text/csv');
  });

  test("a large body's MD5, hashed a slice per turn while the file is written, is the whole body's", async () => {
    const body = randomBytes(1_000_003);
    for (const durable of [true, false]) {
      const meta = await store.put('data', `big-${durable}`, body, { durable });
      expect(meta.md5Hash).toBe(createHash('md5').update(body).digest('base64'));
      expect(fs.readFileSync(path.join(root, 'data', `big-${durable}`)).equals(body)).toBe(true);
    }
  });

  test('a durable write waits for the disk (file and folder); durable: false leaves it to the page cache', async () => {
    const probe = await fsp.open(path.join(local.home, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const sync = jest.spyOn(fileHandle, 'sync');
    try {
      await store.put('data', 'kept', 'x');
      expect(sync).toHaveBeenCalledTimes(2);
      sync.mockClear();
      await store.put('data', 'sample', 'y', { durable: false });
      expect(sync).not.toHaveBeenCalled();
      expect((await store.get('data', 'sample')).toString()).toBe('y');
    } finally {
      sync.mockRestore();
    }
  });

  test('an object written without checksums is hashed when stat or list read it, not when listNames does', async () => {
    await store.put('data', 'log/a.parquet', 'columns', { checksum: false });
    const md5Column = () => local.db.prepare('SELECT md5 FROM objects WHERE bucket = ? AND name = ?').get('data', 'log/a.parquet');
    expect(await store.listNames('data', 'log/')).toEqual(['log/a.parquet']);
    expect(md5Column()).toEqual({ md5: '' });
    expect((await store.stat('data', 'log/a.parquet'))?.md5Hash).toBe(createHash('md5').update('columns').digest('base64'));
    // recorded: the next reader finds it hashed
    expect(md5Column()).toEqual({ md5: createHash('md5').update('columns').digest('base64') });
  });

  test('an unhashed object whose file was deleted by hand is not listed nor stat-ed, and no read fails for it', async () => {
    await store.put('data', 'log/gone.parquet', 'columns', { checksum: false });
    await store.put('data', 'log/kept.parquet', 'kept', { checksum: false });
    fs.rmSync(path.join(root, 'data', 'log', 'gone.parquet'));
    expect((await store.list('data', 'log/')).map((o) => o.name)).toEqual(['log/kept.parquet']);
    expect(await store.stat('data', 'log/gone.parquet')).toBeNull();
  });

  test('putFile of a missing local file is not_found', async () => {
    await expectCode(store.putFile('data', 'x', path.join(local.home, 'no-such-file')), 'not_found');
  });

  test('create-only writers in several processes: exactly one wins', async () => {
    const startAt = String(Date.now() + 600);
    const helpers = [1, 2, 3].map((i) => runHelper('put_once', [local.home, root, 'data', 'race', `process ${i}`, startAt]));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
    const mine = await store.put('data', 'race', 'test process', { ifGenerationMatch: '0' }).then(
      () => 'won',
      (err: { code: string }) => `lost ${err.code}`,
    );
    const theirs = await Promise.all(helpers.map(async (h) => (await h.line(/^(won|lost \w+)$/m))[1]));
    const outcomes = [mine, ...theirs];
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'lost failed_precondition')).toHaveLength(3);
    const winner = outcomes.indexOf('won');
    expect((await store.get('data', 'race')).toString()).toBe(winner === 0 ? 'test process' : `process ${winner}`);
    await Promise.all(helpers.map((h) => h.exited));
  });
});
