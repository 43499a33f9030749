import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../shared/core/log';
import { configFor } from '../../shared/core/config';
import { MloopError } from '../../shared/core/errors';
import { onDataUploaded } from '../../shared/pipeline/handlers';
import { createPlatform } from '../../shared/platform';
import { LocalDocumentStore } from '../../shared/platform/local/document_store';
import { LocalObjectStore } from '../../shared/platform/local/object_store';
import { openDatabase, type Db } from '../../shared/platform/local/sqlite';
import { tempHome } from '../e2e/helpers';

jest.setTimeout(60_000);

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const ESCAPES = [
  '../outside.csv',
  '../../outside.csv',
  'datasets/../../outside.csv',
  'datasets/fraud/../../../../outside.csv',
  '/etc/outside.csv',
  '/tmp/outside.csv',
  'datasets\\..\\..\\outside.csv',
  'datasets/fraud/a\u0000.csv',
  'datasets/fraud/a\n.csv',
  'datasets/fraud/a\u001b[2J.csv',
  `datasets/fraud/${'x'.repeat(1100)}.csv`,
  `datasets/${'deep/'.repeat(300)}a.csv`,
  '.mloop-tmp/outside.csv',
  'datasets//fraud/a.csv',
  'datasets/./fraud/a.csv',
];

describe('object names that try to leave the bucket folder', () => {
  let home: string;
  let db: Db;
  beforeEach(() => {
    home = tempHome('mloop-escape-');
    db = openDatabase(home);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('are refused by the store, which writes nothing anywhere', async () => {
    const root = path.join(home, 'buckets');
    const store = new LocalObjectStore(db, root);
    const before = files(home);
    for (const name of ESCAPES) {
      const put = store.put('data', name, 'label\n1\n').then(() => 'written', (err: unknown) => (err instanceof MloopError ? err.code : String(err)));
      expect([name, await put]).toEqual([name, 'invalid_argument']);
      await expect(store.get('data', name)).rejects.toBeInstanceOf(MloopError);
    }
    expect(files(home)).toEqual(before);
    expect(db.prepare('SELECT count(*) AS n FROM objects').get()).toEqual({ n: 0 });
  });

  it('are acknowledged when they arrive in a finalize event, without touching anything outside', async () => {
    const config = configFor(home, { MLOOP_LOG_LEVEL: 'silent' });
    const log = createLogger('silent');
    const ctx = { config, log, platform: createPlatform(config, log) };
    const outside = path.dirname(home);
    const around = fs.readdirSync(outside).sort();
    for (const name of ESCAPES) {
      await expect(onDataUploaded(ctx, { bucket: config.dataBucket, name, generation: '1', size: '8' })).resolves.toBeUndefined();
    }
    expect(fs.readdirSync(outside).sort()).toEqual(around);
    expect(await ctx.platform.docs.query('datasets', {})).toEqual([]);
    await ctx.platform.close();
  });
});

/** A second process holds the database's write lock, as a stuck or slow mloop process would. */
function holdExclusiveLock(dbFile: string) {
  const holder = spawn(
    process.execPath,
    ['-e', `const db = new (require('better-sqlite3'))(${JSON.stringify(dbFile)}); db.exec('BEGIN EXCLUSIVE'); console.log('locked'); process.stdin.on('end', () => { db.exec('COMMIT'); process.exit(0); }); process.stdin.resume();`],
    { cwd: path.resolve(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const locked = new Promise<void>((resolve) => holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve()));
  const release = async () => {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.stdin!.end();
    await exited;
  };
  return { locked, release };
}

describe('SQLite locked by another process', () => {
  it('fails writes with a clear, retryable error and leaves no half-written object or document', async () => {
    const home = tempHome('mloop-locked-');
    const db = openDatabase(home);
    // The stack waits 10 s for a lock; a shorter wait on this handle reaches the same error sooner.
    db.pragma('busy_timeout = 300');
    const root = path.join(home, 'buckets');
    const store = new LocalObjectStore(db, root);
    const docs = new LocalDocumentStore(db);
    await store.put('data', 'datasets/fraud/a.csv', 'label\n0\n');

    const lock = holdExclusiveLock(path.join(home, 'mloop.db'));
    await lock.locked;
    const objectError = await store.put('data', 'datasets/fraud/a.csv', 'label\n1\n').catch((err: unknown) => err);
    const newObjectError = await store.put('data', 'datasets/fraud/b.csv', 'label\n1\n').catch((err: unknown) => err);
    const docError = await docs.create('datasets', 'fraud@b', { status: 'accepted' }).catch((err: unknown) => err);
    await lock.release();

    for (const err of [objectError, newObjectError, docError]) {
      expect([String(err), (err as { code?: string }).code]).toEqual([expect.stringContaining('locked by another mloop process'), 'unavailable']);
      expect(err).toBeInstanceOf(MloopError);
      expect(err).toMatchObject({ code: 'unavailable', message: expect.stringContaining('locked by another mloop process') });
    }
    expect((await store.get('data', 'datasets/fraud/a.csv')).toString()).toBe('label\n0\n');
    expect(fs.existsSync(path.join(root, 'data', 'datasets', 'fraud', 'b.csv'))).toBe(false);
    expect(files(path.join(root, 'data', '.mloop-tmp'))).toEqual([]);
    expect(await docs.get('datasets', 'fraud@b')).toBeNull();

    await store.put('data', 'datasets/fraud/b.csv', 'label\n1\n');
    expect(await docs.create('datasets', 'fraud@b', { status: 'accepted' })).toBe(true);
    db.close();
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('a full disk while an object is written', () => {
  it('fails with ENOSPC and keeps the previous generation whole, with no partial file left', async () => {
    const home = tempHome('mloop-full-');
    const root = path.join(home, 'buckets');
    fs.mkdirSync(root);
    // A 1 MiB tmpfs is the full disk; mounting needs root, which the CI machine runs as.
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root], { encoding: 'utf8' });
    if (mount.status !== 0) throw new Error(`this test needs to mount a 1 MiB tmpfs (as root): ${mount.stderr}`);
    const db = openDatabase(home);
    try {
      const store = new LocalObjectStore(db, root);
      const first = await store.put('data', 'datasets/fraud/a.csv', 'label\n0\n');
      const big = Buffer.alloc(2 * 1024 * 1024, 'x');
      await expect(store.put('data', 'datasets/fraud/a.csv', big)).rejects.toMatchObject({ code: 'ENOSPC' });
      const local = path.join(home, 'big.csv');
      fs.writeFileSync(local, big);
      await expect(store.putFile('data', 'datasets/fraud/c.csv', local)).rejects.toMatchObject({ code: 'ENOSPC' });

      expect((await store.get('data', 'datasets/fraud/a.csv')).toString()).toBe('label\n0\n');
      expect(await store.stat('data', 'datasets/fraud/a.csv')).toMatchObject({ generation: first.generation });
      expect(await store.stat('data', 'datasets/fraud/c.csv')).toBeNull();
      expect(files(path.join(root, 'data')).map((f) => path.relative(root, f))).toEqual([path.join('data', 'datasets', 'fraud', 'a.csv')]);
      // The space is given back: the next write that fits succeeds.
      await store.put('data', 'datasets/fraud/c.csv', 'label\n1\n');
    } finally {
      db.close();
      spawnSync('umount', [root]);
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
