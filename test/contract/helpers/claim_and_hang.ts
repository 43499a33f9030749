// A consumer that takes a message and never finishes it, to be killed mid-delivery.
import { configFor } from '../../../shared/core/config';
import { LocalEventBus } from '../../../shared/platform/local/event_bus';
import { openDatabase } from '../../../shared/platform/local/sqlite';

async function main(): Promise<void> {
  const [home, subscription] = process.argv.slice(2);
  const bus = new LocalEventBus(openDatabase(home), configFor(home, { MLOOP_POLL_MS: '20' }));
  await bus.subscribe(subscription, async (message) => {
    console.log(`claimed ${message.id} attempt ${message.deliveryAttempt}`);
    await new Promise(() => undefined);
  });
}

void main();
