import { PubSub, v1 } from '@google-cloud/pubsub';
import { PubSubEventBus } from '../../shared/platform/gcp/event_bus';
import { OFFLINE } from '../../shared/platform/gcp/offline';
import type { BusMessage, EventBus, Subscription } from '../../shared/platform/ports';
import { eventBusContract } from './event_bus.contract';
import { pubsubEmulator, testProject } from './gcp_fixtures';
import { expectCode, sleep, unique, waitFor } from './support';

const projectId = testProject('bus');
const makeBus = () =>
  new PubSubEventBus({ projectId, emulatorHost: pubsubEmulator(), defaults: { maxDeliveryAttempts: 5, ackDeadlineSeconds: 600 } });

eventBusContract('Pub/Sub (emulator)', async () => ({
  bus: makeBus(),
  reopen: async () => makeBus(),
  cleanup: async () => undefined,
}));

describe('PubSubEventBus on Pub/Sub', () => {
  const open: Array<EventBus | Subscription> = [];
  let pubsub: PubSub;

  beforeAll(() => {
    pubsub = new PubSub({ projectId, apiEndpoint: pubsubEmulator(), emulatorMode: true, ...OFFLINE });
  });
  afterEach(async () => {
    for (const closable of open.splice(0).reverse()) await closable.close();
  });
  afterAll(() => pubsub.close());

  const bus = () => {
    const made = makeBus();
    open.push(made);
    return made;
  };
  const collect = async (on: EventBus, subscription: string, handler: (m: BusMessage) => Promise<void> = async () => undefined) => {
    const received: BusMessage[] = [];
    open.push(
      await on.subscribe(subscription, async (message) => {
        received.push(message);
        await handler(message);
      }),
    );
    return received;
  };

  test('the subscription gets a dead-letter topic and the adapter settings, which another process then applies', async () => {
    const topic = unique('topic');
    const sub = unique('sub');
    await bus().ensureSubscription(topic, sub, { maxDeliveryAttempts: 2, minBackoffMs: 10, maxBackoffMs: 20, ackDeadlineSeconds: 30 });
    const [metadata] = await pubsub.subscription(sub).getMetadata();
    expect(metadata).toMatchObject({
      topic: `projects/${projectId}/topics/${topic}`,
      ackDeadlineSeconds: 30,
      // Pub/Sub's own policy needs at least 5 attempts; the adapter dead-letters after 2 itself.
      deadLetterPolicy: { deadLetterTopic: `projects/${projectId}/topics/${topic}-dead-letter`, maxDeliveryAttempts: 5 },
      labels: { 'mloop-max-delivery-attempts': '2', 'mloop-min-backoff-ms': '10', 'mloop-max-backoff-ms': '20' },
    });
    expect(metadata.retryPolicy).toBeNull();
    const [deadLetters] = await pubsub.subscription(`${topic}-dead-letter`).getMetadata();
    expect(deadLetters.topic).toBe(`projects/${projectId}/topics/${topic}-dead-letter`);

    const other = bus();
    await other.publish(topic, { n: 1 });
    const received = await collect(other, sub, async () => {
      throw new Error('nope');
    });
    const [letter] = await waitFor(async () => {
      const letters = await other.deadLetters(sub);
      return letters.length === 1 && letters;
    }, 'the dead letter');
    expect(letter).toMatchObject({ deliveryAttempts: 2, lastError: 'nope' });
    await sleep(100);
    expect(received.map((m) => m.deliveryAttempt)).toEqual([1, 2]);
  });

  test('a redelivered dead letter reaches only the subscription it was dead-lettered from', async () => {
    const topic = unique('topic');
    const failing = unique('failing');
    const healthy = unique('healthy');
    const b = bus();
    await b.ensureSubscription(topic, failing, { maxDeliveryAttempts: 1 });
    await b.ensureSubscription(topic, healthy, { maxDeliveryAttempts: 1 });
    let fixed = false;
    const atFailing = await collect(b, failing, async () => {
      if (!fixed) throw new Error('broken for now');
    });
    const atHealthy = await collect(b, healthy);
    const id = await b.publish(topic, { order: 7 }, { attributes: { model: 'fraud' } });
    const [letter] = await waitFor(async () => {
      const letters = await b.deadLetters(failing);
      return letters.length === 1 && letters;
    }, 'the dead letter');
    expect(letter).toMatchObject({ subscription: failing, topic, data: { order: 7 }, attributes: { model: 'fraud' }, deliveryAttempts: 1 });
    fixed = true;
    await b.redeliver(letter.id);
    await waitFor(() => atFailing.length === 2, 'the redelivery');
    await sleep(300);
    expect(atFailing[1]).toMatchObject({ id, data: { order: 7 }, attributes: { model: 'fraud' }, deliveryAttempt: 1 });
    expect(atHealthy.map((m) => m.id)).toEqual([id]);
    expect(await b.deadLetters()).not.toContainEqual(expect.objectContaining({ id: letter.id }));
  });

  test("messages Pub/Sub dead-letters by itself (a push endpoint that keeps failing) are listed and can be redelivered", async () => {
    const topic = unique('topic');
    const sub = unique('pushlike');
    const b = bus();
    await b.ensureSubscription(topic, sub);
    const id = await b.publish(topic, { pushed: true });
    // Play a push endpoint answering 500: every delivery is refused, until Pub/Sub stops delivering
    // it (the emulator moves it to the dead-letter topic when it would deliver it a 6th time).
    const client = new v1.SubscriberClient(pubsub.options as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    const path = client.subscriptionPath(projectId, sub);
    let refused = 0;
    await waitFor(
      async () => {
        const [response] = await client.pull({ subscription: path, maxMessages: 10 }, { timeout: 500 }).catch(() => [{ receivedMessages: [] }]);
        const ackIds = (response.receivedMessages ?? []).map((m) => m.ackId!);
        if (ackIds.length) await client.modifyAckDeadline({ subscription: path, ackIds, ackDeadlineSeconds: 0 });
        refused += ackIds.length;
        return refused >= 5 && ackIds.length === 0;
      },
      'Pub/Sub to stop delivering it',
      15_000,
    );
    await client.close();
    expect(refused).toBe(5);
    const [letter] = await waitFor(
      async () => {
        const letters = await b.deadLetters(sub);
        return letters.length === 1 && letters;
      },
      'Pub/Sub to dead-letter it',
      15_000,
    );
    expect(letter).toMatchObject({ subscription: sub, topic, data: { pushed: true }, attributes: {}, deliveryAttempts: 5 });
    expect(letter.lastError).toMatch(/Pub\/Sub dead-lettered it after 5 deliveries/);
    const received = await collect(b, sub);
    await b.redeliver(letter.id);
    await waitFor(() => received.length === 1, 'the redelivery');
    expect(received[0]).toMatchObject({ id, data: { pushed: true }, deliveryAttempt: 1 });
  });

  test('a subscription cannot move to another topic; bad names and options are refused', async () => {
    const b = bus();
    const sub = unique('sub');
    await b.ensureSubscription(unique('topic'), sub);
    await expectCode(b.ensureSubscription(unique('topic'), sub), 'failed_precondition');
    await expectCode(b.ensureSubscription('x', unique('sub')), 'invalid_argument');
    await expectCode(b.ensureSubscription(unique('topic'), unique('sub'), { minBackoffMs: 50, maxBackoffMs: 10 }), 'invalid_argument');
    await expectCode(b.publish(unique('topic'), { bad: 1 }, { attributes: { n: 1 as unknown as string } }), 'invalid_argument');
  });
});
