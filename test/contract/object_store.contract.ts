import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStore } from '../../shared/platform/ports';
import { expectCode, removeDir, tempDir, unique } from './support';

export interface ObjectStoreFixture {
  store: ObjectStore;
  /** A bucket the store may write to; it need not be empty, so tests use unique names. */
  bucket: string;
  cleanup(): Promise<void>;
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('base64');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What every ObjectStore must do, whatever holds the bytes. */
export function objectStoreContract(name: string, makeStore: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let bucket: string;
    let fixture: ObjectStoreFixture;
    let prefix: string;

    beforeEach(async () => {
      fixture = await makeStore();
      ({ store, bucket } = fixture);
      prefix = `${unique('t')}/`;
    });
    afterEach(() => fixture.cleanup());

    test('put returns the metadata that stat and get agree with', async () => {
      const name = `${prefix}data.csv`;
      const written = await store.put(bucket, name, 'a,b\n1,2\n', { contentType: 'text/csv' });
      expect(written).toMatchObject({ bucket, name, md5Hash: md5('a,b\n1,2\n'), size: 8, contentType: 'text/csv' });
      expect(written.generation).toMatch(/^[1-9]\d*$/);
      expect(Number.isNaN(Date.parse(written.updated))).toBe(false);
      expect(await store.stat(bucket, name)).toEqual(written);
      expect((await store.get(bucket, name)).toString()).toBe('a,b\n1,2\n');
      expect((await readAll(await store.createReadStream(bucket, name))).toString()).toBe('a,b\n1,2\n');
    });

    test('written without checksums, an object still has its MD5 in stat and list, of the generation named', async () => {
      const name = `${prefix}log.parquet`;
      const written = await store.put(bucket, name, 'rows one', { checksum: false, durable: false });
      expect(written).toMatchObject({ bucket, name, size: 8 });
      expect(await store.stat(bucket, name)).toEqual({ ...written, md5Hash: md5('rows one') });
      const replaced = await store.put(bucket, name, 'rows two!', { checksum: false });
      expect(replaced.generation).not.toBe(written.generation);
      expect(await store.list(bucket, prefix)).toEqual([{ ...replaced, md5Hash: md5('rows two!') }]);
      expect((await store.get(bucket, name)).toString()).toBe('rows two!');
    });

    test('listNames gives list\'s names, in its order, under a prefix', async () => {
      for (const name of ['b.parquet', 'a.parquet', 'sub/c.parquet']) await store.put(bucket, `${prefix}${name}`, name, { checksum: false });
      await store.put(bucket, `${prefix.slice(0, -1)}-other/x`, 'x');
      const names = await store.listNames(bucket, prefix);
      expect(names).toEqual(['a.parquet', 'b.parquet', 'sub/c.parquet'].map((n) => `${prefix}${n}`));
      expect(names).toEqual((await store.list(bucket, prefix)).map((o) => o.name));
      expect(await store.listNames(bucket, `${prefix}none/`)).toEqual([]);
    });

    test('a range read gives bytes [start, end) of the generation named', async () => {
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
      const first = await store.put(bucket, `${prefix}ranged.bin`, bytes);
      expect((await readAll(await store.createReadStream(bucket, `${prefix}ranged.bin`, { start: 10, end: 20, generation: first.generation }))).equals(bytes.subarray(10, 20))).toBe(true);
      expect((await readAll(await store.createReadStream(bucket, `${prefix}ranged.bin`, { start: 996, end: 1000 }))).equals(bytes.subarray(996))).toBe(true);
      expect((await readAll(await store.createReadStream(bucket, `${prefix}ranged.bin`, { start: 5, end: 5 }))).length).toBe(0);
      await store.put(bucket, `${prefix}ranged.bin`, Buffer.alloc(1000, 7));
      // A file replaced mid-read must not splice two versions' bytes.
      const stale = async () => readAll(await store.createReadStream(bucket, `${prefix}ranged.bin`, { start: 0, end: 4, generation: first.generation }));
      await expect(stale()).rejects.toThrow();
    });

    test('binary content survives byte for byte', async () => {
      const bytes = Buffer.from([0, 255, 1, 254, 10, 13, 0]);
      const written = await store.put(bucket, `${prefix}blob.bin`, bytes);
      expect(written.md5Hash).toBe(md5(bytes));
      expect((await store.get(bucket, `${prefix}blob.bin`)).equals(bytes)).toBe(true);
    });

    test('putFile streams a local file', async () => {
      const dir = tempDir('mloop-upload');
      try {
        const file = path.join(dir, 'big.csv');
        const content = Buffer.alloc(3 * 1024 * 1024 + 17, 'x,1\n');
        fs.writeFileSync(file, content);
        const written = await store.putFile(bucket, `${prefix}big.csv`, file, { contentType: 'text/csv' });
        expect(written).toMatchObject({ size: content.length, md5Hash: md5(content), contentType: 'text/csv' });
        expect((await readAll(await store.createReadStream(bucket, `${prefix}big.csv`))).equals(content)).toBe(true);
      } finally {
        removeDir(dir);
      }
    });

    test('putStream writes the bytes as they come, under a precondition too', async () => {
      const parts = [Buffer.alloc(2 * 1024 * 1024 + 5, 'a,0\n'), Buffer.from('b,1\n'), Buffer.alloc(1024 * 1024, 'c,1\n')];
      async function* produce() {
        for (const part of parts) yield part;
      }
      const content = Buffer.concat(parts);
      const written = await store.putStream(bucket, `${prefix}derived.csv`, produce(), { contentType: 'text/csv', ifGenerationMatch: '0' });
      expect(written).toMatchObject({ size: content.length, md5Hash: md5(content), contentType: 'text/csv' });
      expect((await readAll(await store.createReadStream(bucket, `${prefix}derived.csv`))).equals(content)).toBe(true);
      await expectCode(store.putStream(bucket, `${prefix}derived.csv`, produce(), { ifGenerationMatch: '0' }), 'failed_precondition');
    });

    test('a missing object: stat is null, get and createReadStream are not_found', async () => {
      expect(await store.stat(bucket, `${prefix}missing`)).toBeNull();
      await expectCode(store.get(bucket, `${prefix}missing`), 'not_found');
      await expectCode(store.createReadStream(bucket, `${prefix}missing`), 'not_found');
    });

    test('overwriting makes a newer generation with the new content', async () => {
      const first = await store.put(bucket, `${prefix}model.json`, '{"v":1}');
      const second = await store.put(bucket, `${prefix}model.json`, '{"v":2}');
      expect(BigInt(second.generation) > BigInt(first.generation)).toBe(true);
      expect((await store.get(bucket, `${prefix}model.json`)).toString()).toBe('{"v":2}');
      expect((await store.stat(bucket, `${prefix}model.json`))?.md5Hash).toBe(md5('{"v":2}'));
    });

    test('a deleted and re-created object still gets a newer generation', async () => {
      const first = await store.put(bucket, `${prefix}x`, '1');
      await store.delete(bucket, `${prefix}x`);
      const again = await store.put(bucket, `${prefix}x`, '1');
      expect(BigInt(again.generation) > BigInt(first.generation)).toBe(true);
    });

    test('list returns the objects under a prefix, sorted by name', async () => {
      for (const name of ['b/2', 'a/1', 'b/1', 'c', 'b/10']) await store.put(bucket, `${prefix}${name}`, name);
      const under = await store.list(bucket, `${prefix}b/`);
      expect(under.map((o) => o.name)).toEqual([`${prefix}b/1`, `${prefix}b/10`, `${prefix}b/2`]);
      expect(under[0]).toMatchObject({ bucket, size: 3, md5Hash: md5('b/1') });
      const all = await store.list(bucket, prefix);
      expect(all.map((o) => o.name.slice(prefix.length))).toEqual(['a/1', 'b/1', 'b/10', 'b/2', 'c']);
    });

    test('delete removes the object; deleting it again is not_found', async () => {
      await store.put(bucket, `${prefix}gone`, 'x');
      await store.delete(bucket, `${prefix}gone`);
      expect(await store.stat(bucket, `${prefix}gone`)).toBeNull();
      expect(await store.list(bucket, prefix)).toEqual([]);
      await expectCode(store.get(bucket, `${prefix}gone`), 'not_found');
      await expectCode(store.delete(bucket, `${prefix}gone`), 'not_found');
    });

    test('ifGenerationMatch "0" creates only when absent', async () => {
      const name = `${prefix}once`;
      await store.put(bucket, name, 'first', { ifGenerationMatch: '0' });
      await expectCode(store.put(bucket, name, 'second', { ifGenerationMatch: '0' }), 'failed_precondition');
      expect((await store.get(bucket, name)).toString()).toBe('first');
    });

    test('a stale generation fails the write; the live one passes', async () => {
      const name = `${prefix}cas`;
      const v1 = await store.put(bucket, name, 'v1');
      const v2 = await store.put(bucket, name, 'v2', { ifGenerationMatch: v1.generation });
      await expectCode(store.put(bucket, name, 'v3', { ifGenerationMatch: v1.generation }), 'failed_precondition');
      expect((await store.get(bucket, name)).toString()).toBe('v2');
      await expectCode(store.put(bucket, `${prefix}absent`, 'x', { ifGenerationMatch: v2.generation }), 'failed_precondition');
      expect(await store.stat(bucket, `${prefix}absent`)).toBeNull();
    });

    test('delete honours ifGenerationMatch', async () => {
      const name = `${prefix}guarded`;
      const v1 = await store.put(bucket, name, 'v1');
      const v2 = await store.put(bucket, name, 'v2');
      await expectCode(store.delete(bucket, name, { ifGenerationMatch: v1.generation }), 'failed_precondition');
      expect(await store.stat(bucket, name)).not.toBeNull();
      await store.delete(bucket, name, { ifGenerationMatch: v2.generation });
      expect(await store.stat(bucket, name)).toBeNull();
    });

    test('of many concurrent create-only writers exactly one wins', async () => {
      const name = `${prefix}race`;
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => store.put(bucket, name, `writer ${i}`, { ifGenerationMatch: '0' })),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('failed_precondition');
      }
      expect((await store.get(bucket, name)).toString()).toBe(`writer ${winners[0]}`);
    });

    test('of many concurrent writers at the same generation exactly one wins', async () => {
      const name = `${prefix}swap`;
      const base = await store.put(bucket, name, 'base');
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.put(bucket, name, `next ${i}`, { ifGenerationMatch: base.generation })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    test.each([
      ['empty', ''],
      ['longer than 1024 bytes', 'é'.repeat(513)],
      ['with a line feed', 'a\nb'],
      ['with a carriage return', 'a\rb'],
    ])('an object name %s is invalid_argument', async (_label, name) => {
      await expectCode(store.put(bucket, name, 'x'), 'invalid_argument');
    });
  });
}
