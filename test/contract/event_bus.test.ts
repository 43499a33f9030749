import { LocalEventBus } from '../../shared/platform/local/event_bus';
import { eventBusContract } from './event_bus.contract';
import { localHome } from './local_fixtures';

eventBusContract('local', async () => {
  const local = localHome();
  return {
    bus: new LocalEventBus(local.db, local.config),
    reopen: async () => new LocalEventBus(local.openAgain(), local.config),
    cleanup: local.cleanup,
  };
});
