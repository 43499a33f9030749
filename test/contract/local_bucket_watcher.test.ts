import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TOPICS } from '../../shared/core/events';
import { BucketWatcher } from '../../shared/platform/local/bucket_watcher';
import { LocalObjectStore } from '../../shared/platform/local/object_store';
import type { EventBus, PublishOptions } from '../../shared/platform/ports';
import { localHome, type LocalHome } from './local_fixtures';

interface Published {
  topic: string;
  data: Record<string, string>;
  options?: PublishOptions;
}

/** Records what the watcher publishes; `failNext` makes the next publish throw, as a crash would. */
function recordingBus(): EventBus & { published: Published[]; failNext: boolean } {
  const unused = () => Promise.reject(new Error('not used by the watcher'));
  const bus = {
    published: [] as Published[],
    failNext: false,
    async publish(topic: string, data: unknown, options?: PublishOptions) {
      if (bus.failNext) {
        bus.failNext = false;
        throw new Error('publish failed');
      }
      bus.published.push({ topic, data: data as Record<string, string>, options });
      return String(bus.published.length);
    },
    ensureSubscription: unused,
    subscribe: unused,
    deadLetters: unused,
    redeliver: unused,
    close: async () => undefined,
  };
  return bus;
}

const md5 = (data: string) => createHash('md5').update(data).digest('base64');

describe('BucketWatcher', () => {
  let local: LocalHome;
  let root: string;
  let store: LocalObjectStore;
  let bus: ReturnType<typeof recordingBus>;
  let watcher: BucketWatcher;

  const file = (name: string) => path.join(root, 'data', name);
  const copyIn = (name: string, content: string, mtime?: Date) => {
    fs.mkdirSync(path.dirname(file(name)), { recursive: true });
    fs.writeFileSync(file(name), content);
    if (mtime) fs.utimesSync(file(name), mtime, mtime);
  };
  const names = () => bus.published.map((p) => p.data.name);

  beforeEach(() => {
    local = localHome();
    root = path.join(local.home, 'buckets');
    store = new LocalObjectStore(local.db, root);
    bus = recordingBus();
    watcher = new BucketWatcher(local.db, root, bus, { bucket: 'data', prefix: 'datasets/', pollMs: 20 });
  });
  afterEach(async () => {
    await watcher.stop();
    await local.cleanup();
  });

  test('a file copied in by hand is recorded and announced once it is stable', async () => {
    copyIn('datasets/iris.csv', 'a,b\n1,2\n');
    expect(await watcher.scanOnce()).toBe(0);
    expect(await store.stat('data', 'datasets/iris.csv')).toBeNull();
    expect(await watcher.scanOnce()).toBe(1);
    const meta = await store.stat('data', 'datasets/iris.csv');
    expect(meta).toMatchObject({ size: 8, md5Hash: md5('a,b\n1,2\n'), contentType: 'text/csv' });
    expect(bus.published).toEqual([
      {
        topic: TOPICS.objectFinalized,
        data: {
          bucket: 'data',
          name: 'datasets/iris.csv',
          generation: meta!.generation,
          size: '8',
          md5Hash: md5('a,b\n1,2\n'),
          contentType: 'text/csv',
          timeCreated: meta!.updated,
          updated: meta!.updated,
        },
        options: {
          attributes: {
            type: 'google.cloud.storage.object.v1.finalized',
            source: '//storage.googleapis.com/projects/_/buckets/data',
            subject: 'objects/datasets/iris.csv',
          },
        },
      },
    ]);
    expect((await store.get('data', 'datasets/iris.csv')).toString()).toBe('a,b\n1,2\n');
    expect(await watcher.scanOnce()).toBe(0);
  });

  test('a copy still growing is not announced until it stops changing', async () => {
    copyIn('datasets/big.csv', 'part one\n', new Date(Date.now() - 5000));
    await watcher.scanOnce();
    fs.appendFileSync(file('datasets/big.csv'), 'part two\n');
    expect(await watcher.scanOnce()).toBe(0);
    expect(await watcher.scanOnce()).toBe(1);
    expect(bus.published[0].data.md5Hash).toBe(md5('part one\npart two\n'));
  });

  test('an object written through the store is announced at the next scan, once', async () => {
    const written = await store.put('data', 'datasets/wine.csv', 'x\n');
    expect(await watcher.scanOnce()).toBe(1);
    expect(bus.published[0].data).toMatchObject({ name: 'datasets/wine.csv', generation: written.generation });
    expect(await watcher.scanOnce()).toBe(0);
    const again = await store.put('data', 'datasets/wine.csv', 'y\n');
    expect(await watcher.scanOnce()).toBe(1);
    expect(bus.published[1].data.generation).toBe(again.generation);
  });

  test('an object written without checksums is announced with its MD5, hashed then and recorded', async () => {
    const written = await store.put('data', 'datasets/log.csv', 'a\n1\n', { checksum: false });
    expect(written.md5Hash).toBe('');
    expect(await watcher.scanOnce()).toBe(1);
    expect(bus.published[0].data).toMatchObject({ name: 'datasets/log.csv', generation: written.generation, md5Hash: md5('a\n1\n') });
    expect(local.db.prepare('SELECT md5 FROM objects WHERE name = ?').get('datasets/log.csv')).toEqual({ md5: md5('a\n1\n') });
  });

  test('an unhashed object changed by hand before anyone read it never gets the new bytes\' MD5 under its old generation', async () => {
    const written = await store.put('data', 'datasets/late.csv', 'old\n', { checksum: false });
    copyIn('datasets/late.csv', 'new bytes\n', new Date(Date.now() - 60_000));
    await expect(store.stat('data', 'datasets/late.csv')).rejects.toMatchObject({ code: 'unavailable' });
    // the watcher's scans (the change must hold still through two) record the file as it is now: a new generation, hashed
    await watcher.scanOnce();
    expect(bus.published).toEqual([]);
    expect(await watcher.scanOnce()).toBe(1);
    const now = await store.stat('data', 'datasets/late.csv');
    expect(now).toMatchObject({ md5Hash: md5('new bytes\n'), size: 10 });
    expect(BigInt(now!.generation)).toBeGreaterThan(BigInt(written.generation));
  });

  test('a file changed by hand gets a new generation and a new event', async () => {
    const first = await store.put('data', 'datasets/d.csv', 'old\n');
    await watcher.scanOnce();
    copyIn('datasets/d.csv', 'new content\n', new Date(Date.now() + 2000));
    expect(await watcher.scanOnce()).toBe(0);
    expect(await watcher.scanOnce()).toBe(1);
    const now = await store.stat('data', 'datasets/d.csv');
    expect(BigInt(now!.generation) > BigInt(first.generation)).toBe(true);
    expect(now!.md5Hash).toBe(md5('new content\n'));
    expect(bus.published.map((p) => p.data.generation)).toEqual([first.generation, now!.generation]);
  });

  test('a file touched without a change keeps its generation and sends nothing', async () => {
    const first = await store.put('data', 'datasets/t.csv', 'same\n');
    await watcher.scanOnce();
    const later = new Date(Date.now() + 3000);
    fs.utimesSync(file('datasets/t.csv'), later, later);
    await watcher.scanOnce();
    await watcher.scanOnce();
    expect(bus.published).toHaveLength(1);
    expect((await store.stat('data', 'datasets/t.csv'))!.generation).toBe(first.generation);
  });

  test('a file deleted by hand disappears from the store without an event', async () => {
    await store.put('data', 'datasets/gone.csv', 'x\n');
    await watcher.scanOnce();
    fs.rmSync(file('datasets/gone.csv'));
    expect(await watcher.scanOnce()).toBe(0);
    expect(await store.stat('data', 'datasets/gone.csv')).toBeNull();
    expect(await store.list('data')).toEqual([]);
  });

  test('hidden files, the temp folder, bad names and other prefixes are not objects', async () => {
    copyIn('datasets/.partial.csv', 'x');
    copyIn('datasets/.cache/x.csv', 'x');
    copyIn('.mloop-tmp/abc', 'x');
    copyIn('models/m.csv', 'x');
    copyIn('datasets/back\\slash.csv', 'x');
    copyIn('datasets/ok.csv', 'x');
    await watcher.scanOnce();
    await watcher.scanOnce();
    expect(names()).toEqual(['datasets/ok.csv']);
    expect((await store.list('data')).map((o) => o.name)).toEqual(['datasets/ok.csv']);
  });

  test('staged files abandoned by a crashed writer are swept after an hour', async () => {
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    copyIn('.mloop-tmp/abandoned', 'x', old);
    copyIn('.mloop-tmp/in-progress', 'x');
    await watcher.scanOnce();
    expect(fs.readdirSync(path.join(root, 'data', '.mloop-tmp'))).toEqual(['in-progress']);
  });

  test('a generation is marked announced only after its publish succeeded', async () => {
    await store.put('data', 'datasets/a.csv', 'a');
    await store.put('data', 'datasets/b.csv', 'b');
    bus.failNext = true;
    await expect(watcher.scanOnce()).rejects.toThrow('publish failed');
    expect(await watcher.scanOnce()).toBe(2);
    expect(names()).toEqual(['datasets/a.csv', 'datasets/b.csv']);
    expect(await watcher.scanOnce()).toBe(0);
  });

  test('started, it scans on its own every pollMs', async () => {
    copyIn('datasets/auto.csv', 'x\n');
    watcher.start();
    const deadline = Date.now() + 3000;
    while (bus.published.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(names()).toEqual(['datasets/auto.csv']);
  });
});
