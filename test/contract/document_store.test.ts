import { LocalDocumentStore } from '../../shared/platform/local/document_store';
import { documentStoreContract } from './document_store.contract';
import { localHome } from './local_fixtures';

documentStoreContract('local', async () => {
  const local = localHome();
  return { docs: new LocalDocumentStore(local.db), cleanup: local.cleanup };
});
