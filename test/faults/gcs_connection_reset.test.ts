import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import type { ObjectStore, Platform } from '../../shared/platform/ports';
import { removeDir, tempDir, unique } from '../contract/support';
import { startFakeGcs, type FakeGcs } from '../fakes/gcs_server';

// The client library waits a second or more before it asks again.
jest.setTimeout(60_000);

let fake: FakeGcs;
let dir: string;
let platform: Platform;
let store: ObjectStore;
let csv: string;

beforeAll(async () => {
  fake = await startFakeGcs(['data']);
  dir = tempDir('mloop-gcs-reset');
  csv = path.join(dir, 'rows.csv');
  fs.writeFileSync(csv, 'a,b\n1,2\n');
  platform = createPlatform(
    configFor(dir, { MLOOP_PLATFORM: 'gcp', GOOGLE_CLOUD_PROJECT: 'mloop-gcs-reset', MLOOP_GCS_ENDPOINT: fake.url, MLOOP_LOG_LEVEL: 'silent' }),
    createLogger('silent'),
  );
  store = platform.objects;
});
afterAll(async () => {
  await platform.close();
  await fake.close();
  removeDir(dir);
  expect(fake.unexpected).toEqual([]);
});

async function drain(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** How often the server received `request`, dropped or answered. */
const received = (request: string) => fake.requests.filter((r) => r === request).length;

/**
 * A server closes an idle keep-alive connection (after 5 s by Node's default; a process that stalls
 * longer finds it closed) just as the client sends its next request on it: the client sees
 * "socket hang up" although Cloud Storage never saw the request, so asking again is safe whenever the
 * request is idempotent, or made so by a generation precondition.
 */
describe('a Cloud Storage request whose connection the server hung up on', () => {
  // Every case starts with a write without a precondition: the client library switches off its
  // retries for that one, and must not leave them off for the requests that follow.
  const cases: Array<[string, RegExp, (name: string) => Promise<unknown>, (name: string, result: unknown) => Promise<void>]> = [
    ['get', /alt=media/, (name) => store.get('data', name), async (_, result) => expect(String(result)).toBe('first')],
    ['stat', /^GET \/storage\/v1\/b\/data\/o\/[^?]+$/, (name) => store.stat('data', name), async (name, result) => expect(result).toMatchObject({ name, size: 5 })],
    ['list', /^GET \/storage\/v1\/b\/data\/o\?/, (name) => store.list('data', name), async (name, result) => expect(result).toEqual([expect.objectContaining({ name })])],
    ['createReadStream (its metadata request)', /^GET \/storage\/v1\/b\/data\/o\/[^?]+$/, async (name) => drain(await store.createReadStream('data', name)), async (_, result) => expect(result).toBe('first')],
    ['createReadStream (its media request)', /alt=media/, async (name) => drain(await store.createReadStream('data', name)), async (_, result) => expect(result).toBe('first')],
    [
      'put with ifGenerationMatch',
      /^POST \/upload.*ifGenerationMatch/,
      async (name) => store.put('data', name, 'second', { ifGenerationMatch: (await store.stat('data', name))!.generation }),
      async (name) => expect(String(await store.get('data', name))).toBe('second'),
    ],
    [
      'putFile with ifGenerationMatch (starting the upload)',
      /^POST \/upload.*uploadType=resumable/,
      async (name) => store.putFile('data', name, csv, { ifGenerationMatch: (await store.stat('data', name))!.generation }),
      async (name) => expect(String(await store.get('data', name))).toBe('a,b\n1,2\n'),
    ],
    [
      'delete with ifGenerationMatch',
      /^DELETE /,
      async (name) => store.delete('data', name, { ifGenerationMatch: (await store.stat('data', name))!.generation }),
      async (name) => expect(await store.stat('data', name)).toBeNull(),
    ],
  ];

  // A case that fails must not leave its drop armed, or its dropped request listed, for the next one.
  beforeEach(() => {
    fake.dropNextRequests(0);
    fake.dropped.splice(0);
  });

  test.each(cases)('%s is sent again and succeeds', async (_, only, operation, check) => {
    const name = `${unique('reset')}/object.txt`;
    await store.put('data', name, 'first');
    fake.dropNextRequests(1, only);
    const result = await operation(name);
    expect(fake.dropped).toHaveLength(1);
    const [request] = fake.dropped.splice(0);
    expect(received(request)).toBeGreaterThanOrEqual(2);
    await check(name, result);
  });

  test('a resumable upload whose bytes were hung up on completes or fails, and never leaves a partial object', async () => {
    // Whether the library may send the bytes again depends on how many it had handed to the socket
    // when the connection went: it refuses to resume past bytes the server says it never got
    // ("Initiate a new upload"), which the caller sees as a failure to retry (an event redelivered).
    const name = `${unique('reset')}/object.txt`;
    await store.put('data', name, 'first');
    const generation = (await store.stat('data', name))!.generation;
    fake.dropNextRequests(1, /^PUT \/upload.*upload_id=/);
    const outcome = await store.putFile('data', name, csv, { ifGenerationMatch: generation }).then(
      () => 'stored',
      (err: Error) => err.message,
    );
    expect(fake.dropped).toHaveLength(1);
    const content = String(await store.get('data', name));
    if (outcome === 'stored') expect(content).toBe('a,b\n1,2\n');
    else expect([outcome, content, (await store.stat('data', name))!.generation]).toEqual([expect.stringMatching(/bytes|socket hang up/), 'first', generation]);
  });

  test('a write or delete without a precondition is not sent again: it fails, and happened at most once', async () => {
    const name = `${unique('reset')}/unconditioned.txt`;
    fake.dropNextRequests(1, /^POST \/upload/);
    await expect(store.put('data', name, 'once')).rejects.toThrow(/socket hang up/);
    const [request] = fake.dropped.splice(0);
    expect(received(request)).toBe(1);
    expect(await store.stat('data', name)).toBeNull();

    fake.dropNextRequests(1, /^POST \/upload/);
    await expect(store.putFile('data', name, csv)).rejects.toThrow(/socket hang up/);
    const [upload] = fake.dropped.splice(0);
    expect(received(upload)).toBe(1);
    expect(await store.stat('data', name)).toBeNull();

    await store.put('data', name, 'to delete');
    fake.dropNextRequests(1, /^DELETE /);
    await expect(store.delete('data', name)).rejects.toThrow(/socket hang up/);
    const [deletion] = fake.dropped.splice(0);
    expect(received(deletion)).toBe(1);

    // The library switched retries off for that delete; reads after it are retried all the same.
    const before = fake.requests.length;
    fake.dropNextRequests(1);
    expect(await store.stat('data', name)).toMatchObject({ name });
    const [stat] = fake.dropped.splice(0);
    expect(fake.requests.slice(before)).toEqual([stat, stat]);
  });
});
