import { LocalEventBus } from '../../shared/platform/local/event_bus';
import type { BusMessage } from '../../shared/platform/ports';
import { localHome, type LocalHome } from '../contract/local_fixtures';
import { cliJson, cli, stackEnv, until } from '../e2e/helpers';

interface DeadLetterJson {
  id: string;
  subscription: string;
  deliveryAttempts: number;
  lastError: string;
  data: unknown;
}

/**
 * A message its handler can never process must stop being retried after the subscription's attempts,
 * show up in `mloop dlq` with the error, and come back with `mloop dlq redeliver` once the cause is fixed.
 */
describe('a poison message', () => {
  let local: LocalHome;
  let bus: LocalEventBus;

  beforeEach(() => {
    local = localHome();
    bus = new LocalEventBus(local.db, local.config);
  });
  afterEach(async () => {
    await bus.close();
    await local.cleanup();
  });

  it('is dead-lettered after N attempts, listed by mloop dlq, and delivered again by mloop dlq redeliver', async () => {
    const env = stackEnv(local.home, 0);
    await bus.ensureSubscription('poison-topic', 'poison-sub', { maxDeliveryAttempts: 3, minBackoffMs: 10, maxBackoffMs: 20 });
    let fixed = false;
    const attempts: number[] = [];
    const delivered: BusMessage[] = [];
    const subscription = await bus.subscribe('poison-sub', async (message) => {
      attempts.push(message.deliveryAttempt);
      if (!fixed) throw new Error('the warehouse table is missing');
      delivered.push(message);
    });
    const good = await bus.publish('poison-topic', { order: 41, ok: true });
    const poison = await bus.publish('poison-topic', { order: 42 });

    // The good message fails too while the cause is there: both are parked, neither is retried forever.
    const letters = await until('both dead letters', () => {
      const all = cliJson<DeadLetterJson[]>(['dlq', '--subscription', 'poison-sub'], env);
      return all.length === 2 ? all : null;
    });
    for (const letter of letters) {
      expect(letter).toMatchObject({ subscription: 'poison-sub', deliveryAttempts: 3, lastError: 'the warehouse table is missing' });
    }
    expect(letters.map((l) => l.data).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([{ order: 41, ok: true }, { order: 42 }]);
    expect(attempts.filter((a) => a > 3)).toEqual([]);
    expect(attempts).toHaveLength(6);
    expect(cli(['dlq'], env).stdout).toContain('the warehouse table is missing');

    fixed = true;
    expect(cli(['dlq', 'redeliver', ...letters.map((l) => l.id)], env).stdout).toContain('redelivered 2 messages');
    await until('both redelivered', () => delivered.length === 2);
    expect(delivered.map((m) => m.id).sort()).toEqual([good, poison].sort());
    expect(delivered.every((m) => m.deliveryAttempt === 1)).toBe(true);
    expect(cliJson<DeadLetterJson[]>(['dlq'], env)).toEqual([]);
    await subscription.close();
  });
});
