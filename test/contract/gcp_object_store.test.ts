import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import type { ObjectStore, Platform } from '../../shared/platform/ports';
import { startFakeGcs, type FakeGcs } from '../fakes/gcs_server';
import { objectStoreContract } from './object_store.contract';
import { expectCode, removeDir, tempDir, unique } from './support';

let fake: FakeGcs;
let dir: string;
const platforms: Platform[] = [];

beforeAll(async () => {
  fake = await startFakeGcs(['data', 'artifacts']);
  dir = tempDir('mloop-gcs');
});
afterAll(async () => {
  await Promise.all(platforms.map((platform) => platform.close()));
  await fake.close();
  removeDir(dir);
  expect(fake.unexpected).toEqual([]);
});

/** The object store a deployment gets with MLOOP_PLATFORM=gcp, pointed at the fake. */
function gcsStore(): ObjectStore {
  const config = configFor(dir, { MLOOP_PLATFORM: 'gcp', GOOGLE_CLOUD_PROJECT: 'mloop-gcs-test', MLOOP_GCS_ENDPOINT: fake.url, MLOOP_LOG_LEVEL: 'silent' });
  const platform = createPlatform(config, createLogger('silent'));
  platforms.push(platform);
  return platform.objects;
}

objectStoreContract('Cloud Storage (fake JSON API)', async () => ({ store: gcsStore(), bucket: 'data', cleanup: async () => undefined }));

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('GcsObjectStore end-to-end integrity', () => {
  test('put and putFile (resumable) send the MD5 the server checks before it creates the object', async () => {
    const store = gcsStore();
    const name = `${unique('sum')}/small.json`;
    await store.put('data', name, '{"a":1}');
    expect(fake.objects.verified.filter((v) => v.name === name)).toEqual([{ name, md5: true, crc32c: false }]);
    // a body hashed over several turns of the event loop
    const large = `${unique('sum')}/large.parquet`;
    await store.put('data', large, Buffer.alloc(700 * 1024, 'x'));
    expect(fake.objects.verified.filter((v) => v.name === large)).toEqual([{ name: large, md5: true, crc32c: false }]);

    const file = path.join(dir, 'upload.csv');
    fs.writeFileSync(file, Buffer.alloc(600 * 1024, 'a,b\n'));
    const big = `${unique('sum')}/big.csv`;
    const written = await store.putFile('data', big, file);
    expect(written).toMatchObject({ name: big, size: 600 * 1024, contentType: 'text/csv' });
    expect(fake.requests.some((r) => r.startsWith('POST /upload/storage/v1/b/data/o?') && r.includes('uploadType=resumable') && r.includes(encodeURIComponent(big)))).toBe(true);
    expect(fake.objects.verified.filter((v) => v.name === big)).toEqual([{ name: big, md5: true, crc32c: false }]);
  });

  test('checksum: false sends no MD5 to check the upload against, and the server still reports md5Hash', async () => {
    const store = gcsStore();
    const name = `${unique('log')}/batch.parquet`;
    const written = await store.put('data', name, Buffer.from('columns'), { checksum: false, durable: false });
    expect(fake.objects.verified.filter((v) => v.name === name)).toEqual([{ name, md5: false, crc32c: false }]);
    expect(written.md5Hash).toBe(createHash('md5').update('columns').digest('base64'));
  });

  test('listNames asks for a partial response: the names only', async () => {
    const store = gcsStore();
    const prefix = `${unique('names')}/`;
    await store.put('data', `${prefix}one.parquet`, 'x');
    expect(await store.listNames('data', prefix)).toEqual([`${prefix}one.parquet`]);
    const asked = fake.requests.map((r) => decodeURIComponent(r)).filter((r) => r.startsWith('GET /storage/v1/b/data/o?') && r.includes(prefix));
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('fields=items(name),nextPageToken');
  });

  test('bytes that do not match the stored checksum are refused on download', async () => {
    const store = gcsStore();
    const name = `${unique('rot')}/model.onnx`;
    await store.put('data', name, 'the real bytes');
    fake.objects.get('data', name).data = Buffer.from('flipped bytes!');
    await expectCode(store.get('data', name), 'unavailable');
    await expect(drain(await store.createReadStream('data', name))).rejects.toThrow(/did not match/);
  });

  test('a bucket that does not exist is not_found; a bad bucket name never leaves the process', async () => {
    const store = gcsStore();
    await expectCode(store.put('no-such-bucket', 'x', 'x'), 'not_found');
    await expectCode(store.list('no-such-bucket'), 'not_found');
    const before = fake.requests.length;
    await expectCode(store.put('Bad_Bucket!', 'x', 'x'), 'invalid_argument');
    await expectCode(store.put('data', 'x', 'x', { ifGenerationMatch: 'latest' }), 'invalid_argument');
    expect(fake.requests.length).toBe(before);
  });
});

describe('the fake Cloud Storage server rejects what Cloud Storage rejects', () => {
  let server: FakeGcs;
  const api = (p: string, init?: RequestInit) => fetch(`${server.url}${p}`, init);

  beforeEach(async () => {
    server = await startFakeGcs(['b']);
  });
  afterEach(() => server.close());

  test('a stale generation or a create-only write on an existing object is 412 conditionNotMet', async () => {
    const created = await (await api('/upload/storage/v1/b/b/o?uploadType=media&name=x', { method: 'POST', body: 'one' })).json();
    expect(created).toMatchObject({ name: 'x', bucket: 'b', size: '3', generation: expect.stringMatching(/^\d{16}$/) });
    for (const query of ['ifGenerationMatch=0', `ifGenerationMatch=${BigInt(created.generation) - 1n}`, `ifGenerationNotMatch=${created.generation}`]) {
      const response = await api(`/upload/storage/v1/b/b/o?uploadType=media&name=x&${query}`, { method: 'POST', body: 'two' });
      expect(response.status).toBe(412);
      expect((await response.json()).error.errors[0].reason).toBe('conditionNotMet');
    }
    expect((await api(`/storage/v1/b/b/o/x?ifGenerationMatch=1`, { method: 'DELETE' })).status).toBe(412);
    expect((await api(`/storage/v1/b/b/o/x?ifGenerationMatch=abc`)).status).toBe(400);
    expect(await (await api('/storage/v1/b/b/o/x?alt=media')).text()).toBe('one');
  });

  test('missing objects, generations and buckets are 404; so is a noncurrent generation', async () => {
    const first = await (await api('/upload/storage/v1/b/b/o?uploadType=media&name=y', { method: 'POST', body: '1' })).json();
    await api('/upload/storage/v1/b/b/o?uploadType=media&name=y', { method: 'POST', body: '2' });
    expect((await api(`/storage/v1/b/b/o/y?alt=media&generation=${first.generation}`)).status).toBe(404);
    expect((await api('/storage/v1/b/b/o/nope')).status).toBe(404);
    const noBucket = await api('/storage/v1/b/nobucket/o/y');
    expect(noBucket.status).toBe(404);
    expect((await noBucket.json()).error.message).toMatch(/bucket does not exist/);
  });

  test('a checksum that does not match the bytes is 400 and creates nothing', async () => {
    const boundary = 'xyz';
    const body = `--${boundary}\r\ncontent-type: application/json\r\n\r\n{"name":"m","md5Hash":"AAAAAAAAAAAAAAAAAAAAAA=="}\r\n--${boundary}\r\ncontent-type: text/plain\r\n\r\nhello\r\n--${boundary}--`;
    const multipart = await api('/upload/storage/v1/b/b/o?uploadType=multipart', { method: 'POST', headers: { 'content-type': `multipart/related; boundary=${boundary}` }, body });
    expect(multipart.status).toBe(400);
    const media = await api('/upload/storage/v1/b/b/o?uploadType=media&name=m', { method: 'POST', headers: { 'x-goog-hash': 'crc32c=AAAAAA==' }, body: 'hello' });
    expect(media.status).toBe(400);
    expect((await api('/storage/v1/b/b/o/m')).status).toBe(404);
  });

  test('resumable uploads keep only whole 256 KiB chunks until the last, answer 308 with Range, and check preconditions at the end', async () => {
    const data = Buffer.alloc(700 * 1024, 7);
    const start = await api('/upload/storage/v1/b/b/o?uploadType=resumable&name=big&ifGenerationMatch=0', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const session = start.headers.get('location')!;
    const put = (range: string, chunk?: Buffer) => fetch(session, { method: 'PUT', headers: { 'content-range': range }, ...(chunk && { body: new Uint8Array(chunk) }) });
    const partial = await put('bytes 0-307199/*', data.subarray(0, 300 * 1024));
    expect(partial.status).toBe(308);
    expect(partial.headers.get('range')).toBe('bytes=0-262143');
    const query = await put('bytes */*');
    expect([query.status, query.headers.get('range')]).toEqual([308, 'bytes=0-262143']);
    const done = await put(`bytes 262144-${data.length - 1}/${data.length}`, data.subarray(262144));
    expect(done.status).toBe(200);
    expect(Buffer.from(await (await api('/storage/v1/b/b/o/big?alt=media')).arrayBuffer()).equals(data)).toBe(true);

    const late = await api('/upload/storage/v1/b/b/o?uploadType=resumable&name=late&ifGenerationMatch=0', { method: 'POST', body: '{}' });
    await api('/upload/storage/v1/b/b/o?uploadType=media&name=late', { method: 'POST', body: 'someone else' });
    const final = await fetch(late.headers.get('location')!, { method: 'PUT', headers: { 'content-range': 'bytes 0-2/3' }, body: 'abc' });
    expect(final.status).toBe(412);
  });

  test('names Cloud Storage forbids are 400; lists come in pages', async () => {
    expect((await api(`/upload/storage/v1/b/b/o?uploadType=media&name=${encodeURIComponent('a\nb')}`, { method: 'POST', body: 'x' })).status).toBe(400);
    expect((await api(`/upload/storage/v1/b/b/o?uploadType=media&name=${'x'.repeat(1025)}`, { method: 'POST', body: 'x' })).status).toBe(400);
    for (const name of ['p/1', 'p/2', 'p/3']) await api(`/upload/storage/v1/b/b/o?uploadType=media&name=${encodeURIComponent(name)}`, { method: 'POST', body: name });
    const page = await (await api('/storage/v1/b/b/o?prefix=p%2F&maxResults=2')).json();
    expect(page.items.map((o: { name: string }) => o.name)).toEqual(['p/1', 'p/2']);
    const rest = await (await api(`/storage/v1/b/b/o?prefix=p%2F&maxResults=2&pageToken=${page.nextPageToken}`)).json();
    expect(rest.items.map((o: { name: string }) => o.name)).toEqual(['p/3']);
    expect(rest.nextPageToken).toBeUndefined();
  });

  test('a request the fake was not written for is 501 and recorded', async () => {
    expect((await api('/storage/v1/b/b/o?versions=true')).status).toBe(501);
    expect((await api('/storage/v1/b/b/o/x', { method: 'PATCH', body: '{}' })).status).toBe(501);
    expect(server.unexpected).toHaveLength(2);
  });
});
