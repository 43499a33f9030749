import type { BusMessage, EventBus, Subscription } from '../../shared/platform/ports';
import { expectCode, sleep, unique, waitFor } from './support';

export interface EventBusFixture {
  bus: EventBus;
  /** Closes nothing itself: a fresh bus on the same backend, as after a restart. */
  reopen(): Promise<EventBus>;
  cleanup(): Promise<void>;
}

// Short backoffs keep the suite fast; an adapter may round them up to what its service allows.
const FAST = { minBackoffMs: 20, maxBackoffMs: 80, maxDeliveryAttempts: 5 };

/** What every EventBus must do: at-least-once delivery, retries with backoff, dead letters. */
export function eventBusContract(name: string, makeBus: () => Promise<EventBusFixture>): void {
  describe(`EventBus contract: ${name}`, () => {
    let fixture: EventBusFixture;
    let bus: EventBus;
    let topic: string;
    let sub: string;
    const opened: Array<EventBus | Subscription> = [];

    beforeEach(async () => {
      fixture = await makeBus();
      bus = fixture.bus;
      topic = unique('topic');
      sub = unique('sub');
    });
    afterEach(async () => {
      for (const closable of opened.splice(0)) await closable.close();
      await bus.close();
      await fixture.cleanup();
    });

    const collect = async (subscription: string, on: EventBus = bus, handler?: (m: BusMessage) => Promise<void>) => {
      const received: BusMessage[] = [];
      opened.push(
        await on.subscribe(subscription, async (message) => {
          received.push(message);
          await handler?.(message);
        }),
      );
      return received;
    };

    test('a published message reaches the subscriber once, with its data and attributes', async () => {
      await bus.ensureSubscription(topic, sub, FAST);
      const id = await bus.publish(topic, { model: 'iris', n: 1 }, { attributes: { source: 'test' } });
      const received = await collect(sub);
      await waitFor(() => received.length === 1, 'the delivery');
      expect(received[0]).toMatchObject({ id, topic, data: { model: 'iris', n: 1 }, attributes: { source: 'test' }, deliveryAttempt: 1 });
      expect(Number.isNaN(Date.parse(received[0].publishTime))).toBe(false);
      await sleep(200);
      expect(received).toHaveLength(1);
    });

    test('messages published before a subscription exists are not kept for it', async () => {
      await bus.publish(topic, { early: true });
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.publish(topic, { early: false });
      const received = await collect(sub);
      await waitFor(() => received.length >= 1, 'the delivery');
      await sleep(150);
      expect(received.map((m) => m.data)).toEqual([{ early: false }]);
    });

    test('every subscription of a topic gets its own copy', async () => {
      const other = unique('sub');
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.ensureSubscription(topic, other, FAST);
      const id = await bus.publish(topic, { fan: 'out' });
      const first = await collect(sub);
      const second = await collect(other);
      await waitFor(() => first.length === 1 && second.length === 1, 'both deliveries');
      expect(first[0].id).toBe(id);
      expect(second[0].id).toBe(id);
      expect(second[0].data).toEqual({ fan: 'out' });
    });

    test('ensureSubscription is idempotent', async () => {
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.publish(topic, { once: true });
      const received = await collect(sub);
      await waitFor(() => received.length === 1, 'the delivery');
      await sleep(150);
      expect(received).toHaveLength(1);
    });

    test('a failing handler gets the message again, later each time, until it succeeds', async () => {
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.publish(topic, { flaky: true });
      const times: number[] = [];
      const received = await collect(sub, bus, async (message) => {
        times.push(Date.now());
        if (message.deliveryAttempt < 3) throw new Error(`attempt ${message.deliveryAttempt} fails`);
      });
      await waitFor(() => received.length === 3, 'three deliveries');
      await sleep(200);
      expect(received.map((m) => m.deliveryAttempt)).toEqual([1, 2, 3]);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(FAST.minBackoffMs - 2);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(2 * FAST.minBackoffMs - 2);
      expect(await bus.deadLetters(sub)).toEqual([]);
    });

    test('after maxDeliveryAttempts the message becomes a dead letter, with its last error', async () => {
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.publish(topic, { poison: true }, { attributes: { kind: 'poison' } });
      const received = await collect(sub, bus, async (message) => {
        throw new Error(`boom ${message.deliveryAttempt}`);
      });
      const dead = await waitFor(async () => {
        const letters = await bus.deadLetters(sub);
        return letters.length === 1 && letters;
      }, 'the dead letter');
      expect(dead[0]).toMatchObject({
        subscription: sub,
        topic,
        data: { poison: true },
        attributes: { kind: 'poison' },
        deliveryAttempts: FAST.maxDeliveryAttempts,
      });
      expect(dead[0].lastError).toContain(`boom ${FAST.maxDeliveryAttempts}`);
      await sleep(200);
      expect(received.map((m) => m.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
      expect((await bus.deadLetters()).map((d) => d.id)).toContain(dead[0].id);
    });

    test('a redelivered dead letter comes back with a fresh attempt count', async () => {
      await bus.ensureSubscription(topic, sub, { ...FAST, maxDeliveryAttempts: 5 });
      const id = await bus.publish(topic, { retry: 'me' });
      let healthy = false;
      const received = await collect(sub, bus, async () => {
        if (!healthy) throw new Error('not yet');
      });
      const [dead] = await waitFor(async () => {
        const letters = await bus.deadLetters(sub);
        return letters.length === 1 && letters;
      }, 'the dead letter');
      healthy = true;
      const before = received.length;
      await bus.redeliver(dead.id);
      await waitFor(() => received.length === before + 1, 'the redelivery');
      expect(received[before]).toMatchObject({ id, data: { retry: 'me' }, deliveryAttempt: 1 });
      expect(await bus.deadLetters(sub)).toEqual([]);
      await expectCode(bus.redeliver(dead.id), 'not_found');
    });

    test('messages nobody acknowledged survive closing the bus', async () => {
      await bus.ensureSubscription(topic, sub, FAST);
      for (let i = 0; i < 3; i++) await bus.publish(topic, { i });
      await bus.close();
      const again = await fixture.reopen();
      opened.push(again);
      const received = await collect(sub, again);
      await waitFor(() => received.length === 3, 'three deliveries after reopening');
      expect(received.map((m) => (m.data as { i: number }).i).sort()).toEqual([0, 1, 2]);
    });

    test('a message whose handler failed before a restart is delivered after it', async () => {
      await bus.ensureSubscription(topic, sub, { ...FAST, minBackoffMs: 50 });
      await bus.publish(topic, { survives: true });
      const failed = await collect(sub, bus, async () => {
        throw new Error('crash-like failure');
      });
      await waitFor(() => failed.length >= 1, 'the first delivery');
      await bus.close();
      const again = await fixture.reopen();
      opened.push(again);
      const received = await collect(sub, again);
      await waitFor(() => received.length === 1, 'the delivery after reopening');
      expect(received[0].data).toEqual({ survives: true });
      expect(received[0].deliveryAttempt).toBeGreaterThanOrEqual(2);
    });

    test('close waits for the handler under way, and its ack counts', async () => {
      await bus.ensureSubscription(topic, sub, FAST);
      await bus.publish(topic, { slow: true });
      let finished = false;
      let started = false;
      await collect(sub, bus, async () => {
        started = true;
        await sleep(150);
        finished = true;
      });
      await waitFor(() => started, 'the handler to start');
      await bus.close();
      expect(finished).toBe(true);
      const again = await fixture.reopen();
      opened.push(again);
      const received = await collect(sub, again);
      await sleep(200);
      expect(received).toEqual([]);
    });

    test('subscribing to a subscription that does not exist is not_found', async () => {
      await expectCode(bus.subscribe(unique('nosuch'), async () => undefined), 'not_found');
    });
  });
}
