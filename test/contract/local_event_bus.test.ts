import { LocalEventBus } from '../../shared/platform/local/event_bus';
import type { BusMessage, Subscription } from '../../shared/platform/ports';
import { localHome, type LocalHome } from './local_fixtures';
import { expectCode, runHelper, sleep, unique, waitFor } from './support';

describe('LocalEventBus across processes and instances', () => {
  let local: LocalHome;
  let bus: LocalEventBus;
  let topic: string;
  let sub: string;
  const closables: Array<{ close(): Promise<void> }> = [];

  beforeEach(() => {
    local = localHome();
    bus = new LocalEventBus(local.db, local.config);
    closables.push(bus);
    topic = unique('topic');
    sub = unique('sub');
  });
  afterEach(async () => {
    for (const c of closables.splice(0).reverse()) await c.close();
    await local.cleanup();
  });

  const otherBus = () => {
    const other = new LocalEventBus(local.openAgain(), local.config);
    closables.push(other);
    return other;
  };

  test('a message held by a consumer that was killed is delivered again at once, not after the ack deadline', async () => {
    await bus.ensureSubscription(topic, sub, { ackDeadlineSeconds: 600, minBackoffMs: 10, maxBackoffMs: 20 });
    const id = await bus.publish(topic, { job: 'train' });
    const consumer = runHelper('claim_and_hang', [local.home, sub]);
    await consumer.line(new RegExp(`claimed ${id} attempt 1`));
    consumer.child.kill('SIGKILL');
    await consumer.exited;

    const t0 = Date.now();
    const received: BusMessage[] = [];
    closables.push(await otherBus().subscribe(sub, async (m) => void received.push(m)));
    await waitFor(() => received.length === 1, 'the redelivery', 3000);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(received[0]).toMatchObject({ id, data: { job: 'train' }, deliveryAttempt: 2 });
  });

  test('a lease held past its ack deadline by a live consumer goes to another one', async () => {
    await bus.ensureSubscription(topic, sub, { ackDeadlineSeconds: 1, minBackoffMs: 10, maxBackoffMs: 20 });
    await bus.publish(topic, { slow: true });
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const first: BusMessage[] = [];
    const hung = await bus.subscribe(sub, async (m) => {
      first.push(m);
      await stuck;
    });
    await waitFor(() => first.length === 1, 'the first delivery');
    const second: BusMessage[] = [];
    closables.push(await otherBus().subscribe(sub, async (m) => void second.push(m)));
    await sleep(500);
    expect(second).toEqual([]);
    await waitFor(() => second.length === 1, 'the delivery after the deadline', 3000);
    expect(second[0].deliveryAttempt).toBe(2);
    release();
    await hung.close();
  });

  test('a lease that expires on the last attempt dead-letters the message', async () => {
    await bus.ensureSubscription(topic, sub, { ackDeadlineSeconds: 1, maxDeliveryAttempts: 1 });
    await bus.publish(topic, { stuck: true });
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const hung = await bus.subscribe(sub, () => stuck);
    const other = otherBus();
    const second: BusMessage[] = [];
    closables.push(await other.subscribe(sub, async (m) => void second.push(m)));
    const [dead] = await waitFor(async () => {
      const letters = await other.deadLetters(sub);
      return letters.length === 1 && letters;
    }, 'the dead letter', 4000);
    expect(dead.lastError).toMatch(/ack deadline/);
    expect(second).toEqual([]);
    release();
    await hung.close();
  });

  test('one message at a time per subscription; subscriptions run side by side', async () => {
    const other = unique('sub');
    await bus.ensureSubscription(topic, sub);
    await bus.ensureSubscription(topic, other);
    for (let i = 0; i < 4; i++) await bus.publish(topic, { i });
    let inFlight = 0;
    let maxInFlight = 0;
    let otherRan = false;
    const seen: number[] = [];
    closables.push(
      await bus.subscribe(sub, async (m) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Waits for the other subscription: it only gets there if that one runs meanwhile.
        await waitFor(() => otherRan, 'the other subscription', 3000);
        await sleep(10);
        seen.push((m.data as { i: number }).i);
        inFlight--;
      }),
    );
    closables.push(await bus.subscribe(other, async () => void (otherRan = true)));
    await waitFor(() => seen.length === 4, 'all four messages');
    expect(maxInFlight).toBe(1);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  test('queueStats counts pending, in-flight and dead messages', async () => {
    await bus.ensureSubscription(topic, sub, { maxDeliveryAttempts: 1 });
    await bus.publish(topic, { n: 1 });
    await bus.publish(topic, { n: 2 });
    expect(bus.queueStats().find((s) => s.subscription === sub)).toEqual({ subscription: sub, topic, pending: 2, inFlight: 0, dead: 0 });
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const subscription: Subscription = await bus.subscribe(sub, async () => {
      if (++calls === 1) throw new Error('poison');
      await stuck;
    });
    await waitFor(() => calls === 2, 'the second delivery');
    expect(bus.queueStats().find((s) => s.subscription === sub)).toEqual({ subscription: sub, topic, pending: 0, inFlight: 1, dead: 1 });
    release();
    await subscription.close();
    expect(bus.queueStats().find((s) => s.subscription === sub)).toMatchObject({ pending: 0, inFlight: 0, dead: 1 });
  });

  test('a subscription stays on its topic, and names follow Pub/Sub rules', async () => {
    await bus.ensureSubscription(topic, sub);
    await expectCode(bus.ensureSubscription(unique('topic'), sub), 'failed_precondition');
    await expectCode(bus.ensureSubscription('x', unique('sub')), 'invalid_argument');
    await expectCode(bus.ensureSubscription(topic, "sub'; DROP TABLE messages;--"), 'invalid_argument');
    await expectCode(bus.ensureSubscription(topic, unique('sub'), { minBackoffMs: 500, maxBackoffMs: 100 }), 'invalid_argument');
    await expectCode(bus.publish(topic, undefined), 'invalid_argument');
  });

  test('a closed bus refuses to publish', async () => {
    await bus.close();
    await expectCode(bus.publish(topic, {}), 'failed_precondition');
  });
});
