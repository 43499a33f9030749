import fs from 'node:fs';
import path from 'node:path';
import { TOPICS } from '../../shared/core/events';
import { createPlatform, platformForStorage } from '../../shared/platform';
import { FirestoreDocumentStore } from '../../shared/platform/gcp/document_store';
import { PubSubEventBus } from '../../shared/platform/gcp/event_bus';
import { CloudRunJobLauncher } from '../../shared/platform/gcp/job_launcher';
import { GcsObjectStore } from '../../shared/platform/gcp/object_store';
import { CloudRunServiceDeployer } from '../../shared/platform/gcp/service_deployer';
import type { BusMessage } from '../../shared/platform/ports';
import { removeDir, tempDir, testConfig, waitFor } from './support';

describe('createPlatform', () => {
  let home: string;
  beforeEach(() => (home = tempDir('mloop-platform')));
  afterEach(() => removeDir(home));

  test('gcp (or a gs:// storage) picks the Google Cloud adapters, which need a project and keep no local state', async () => {
    expect(() => createPlatform(testConfig(home, { MLOOP_PLATFORM: 'gcp' }))).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/needs GOOGLE_CLOUD_PROJECT/) }),
    );
    const platform = createPlatform(testConfig(home, { MLOOP_STORAGE: 'gs://', GOOGLE_CLOUD_PROJECT: 'mloop-test' }));
    try {
      expect(platform.objects).toBeInstanceOf(GcsObjectStore);
      expect(platform.bus).toBeInstanceOf(PubSubEventBus);
      expect(platform.docs).toBeInstanceOf(FirestoreDocumentStore);
      expect(platform.jobs).toBeInstanceOf(CloudRunJobLauncher);
      expect(platform.deployer).toBeInstanceOf(CloudRunServiceDeployer);
      expect(fs.readdirSync(home)).toEqual([]);
    } finally {
      await platform.close();
    }
  });

  test('the local platform wires one stack: an upload is announced, documents and deploys work, close ends it', async () => {
    const config = testConfig(home);
    const platform = createPlatform(config);
    const watcher = platform.watchBucket!({ bucket: config.dataBucket, prefix: 'datasets/' });
    await platform.bus.ensureSubscription(TOPICS.objectFinalized, 'on-data-uploaded', { minBackoffMs: 10, maxBackoffMs: 20 });
    const received: BusMessage[] = [];
    await platform.bus.subscribe('on-data-uploaded', async (m) => void received.push(m));
    watcher.start();

    const written = await platform.objects.put(config.dataBucket, 'datasets/iris/data.csv', 'a,b\n');
    fs.mkdirSync(path.join(config.storage, config.dataBucket, 'datasets', 'wine'), { recursive: true });
    fs.writeFileSync(path.join(config.storage, config.dataBucket, 'datasets', 'wine', 'data.csv'), 'c,d\n');
    await waitFor(() => received.length === 2, 'both finalize events');
    expect(received.map((m) => (m.data as { name: string }).name).sort()).toEqual(['datasets/iris/data.csv', 'datasets/wine/data.csv']);
    expect(received.find((m) => (m.data as { name: string }).name === 'datasets/iris/data.csv')!.data).toMatchObject({
      bucket: 'data',
      generation: written.generation,
    });

    await platform.docs.set('runs', 'r1', { state: 'queued' });
    expect(await platform.docs.get('runs', 'r1')).toEqual({ state: 'queued' });
    expect(await platform.deployer.deploy({ target: { models: { iris: '3' }, shadows: {} } })).toEqual({ revision: 'local:iris=3', traffic: [{ revision: 'local:iris=3', percent: 100 }], created: [] });
    expect(Math.abs(platform.clock.now().getTime() - Date.now())).toBeLessThan(1000);
    expect(fs.existsSync(path.join(home, 'mloop.db'))).toBe(true);

    await platform.close();
    await platform.close();
    await expect(platform.docs.get('runs', 'r1')).rejects.toThrow(/not open/);
  });

  test('only the local platform watches buckets; the platform is picked by the storage scheme', async () => {
    const gcp = createPlatform(testConfig(home, { MLOOP_STORAGE: 'gs://', GOOGLE_CLOUD_PROJECT: 'mloop-test' }));
    expect(gcp.watchBucket).toBeUndefined();
    await gcp.close();
    expect(platformForStorage('gs://bucket')).toBe('gcp');
    expect(platformForStorage(home)).toBe('local');
    expect(platformForStorage('s3://bucket')).toBeNull();
    expect(() => createPlatform(testConfig(home, { MLOOP_PLATFORM: 'local', MLOOP_STORAGE: 'gs://data' }))).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/MLOOP_STORAGE=gs:\/\/data/) }),
    );
  });
});
