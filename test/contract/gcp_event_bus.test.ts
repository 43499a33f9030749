import { PubSubEventBus } from '../../shared/platform/gcp/event_bus';
import { eventBusContract } from './event_bus.contract';
import { pubsubEmulator, testProject } from './gcp_fixtures';

const projectId = testProject('bus');
const makeBus = () =>
  new PubSubEventBus({ projectId, emulatorHost: pubsubEmulator(), defaults: { maxDeliveryAttempts: 5, ackDeadlineSeconds: 600 } });

eventBusContract('Pub/Sub (emulator)', async () => ({
  bus: makeBus(),
  reopen: async () => makeBus(),
  cleanup: async () => undefined,
}));
