import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { configFor } from '../../../../shared/core/config';
import { TOPICS, type TrainingRequested } from '../../../../shared/core/events';
import { datasetId } from '../../../../shared/core/ids';
import { COLLECTIONS } from '../../../../shared/pipeline/store/documents';
import { driftRequestId } from '../../../../shared/pipeline/usecases/on_drift_detected';
import { createPlatform } from '../../../../shared/platform';
import type { BusMessage, Platform } from '../../../../shared/platform/ports';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-drift-fn-'));
const saved = { ...process.env };
// The function reads its configuration from the environment on first use, as on Cloud Functions.
Object.assign(process.env, { MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../../../functions/index');

let platform: Platform;

beforeAll(async () => {
  platform = createPlatform(configFor(home, { MLOOP_LOG_LEVEL: 'silent' }));
  await platform.bus.ensureSubscription(TOPICS.trainingRequested, 'test-requests');
  await platform.docs.create(COLLECTIONS.datasets, datasetId('fraud', 'abc'), {
    model: 'fraud',
    version: 'abc',
    status: 'accepted',
    object: { bucket: 'data', name: 'datasets/fraud/a.csv', generation: '1', md5Hash: 'x', size: 1 },
    created_at: '2025-01-01T00:00:00.000Z',
  });
});

afterAll(async () => {
  await platform.close();
  process.env = saved;
  fs.rmSync(home, { recursive: true, force: true });
});

/** A Pub/Sub push as Eventarc delivers it: a binary-mode CloudEvent around the base64 message. */
function pubsubEvent(payload: unknown) {
  return request(getTestServer('onDriftDetected'))
    .post('/')
    .set({
      'ce-id': '1234',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/p/topics/drift-detected',
      'content-type': 'application/json',
    })
    .send({ message: { data: Buffer.from(JSON.stringify(payload)).toString('base64'), messageId: '1' }, subscription: 'projects/p/subscriptions/s' });
}

test('the onDriftDetected function decodes a Pub/Sub CloudEvent and requests retraining', async () => {
  const response = await pubsubEvent({ model: 'fraud', report_id: 'r1', reason: 'drift', detected_at: '2025-01-02T00:00:00.000Z' });
  expect(response.status).toBeLessThan(300);

  const received: BusMessage[] = [];
  const subscription = await platform.bus.subscribe('test-requests', async (message) => void received.push(message));
  const deadline = Date.now() + 5000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await subscription.close();
  expect(received.map((m) => m.data as TrainingRequested)).toEqual([
    expect.objectContaining({ request_id: driftRequestId('fraud', 'r1'), model: 'fraud', dataset_version: 'abc', reason: 'drift' }),
  ]);
});

test('a message that is not JSON is acknowledged, not retried', async () => {
  const response = await request(getTestServer('onDriftDetected'))
    .post('/')
    .set({ 'ce-id': '5', 'ce-specversion': '1.0', 'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished', 'ce-source': 's', 'content-type': 'application/json' })
    .send({ message: { data: Buffer.from('not json').toString('base64') } });
  expect(response.status).toBeLessThan(300);
});
