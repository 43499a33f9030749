import path from 'node:path';
import { LocalObjectStore } from '../../shared/platform/local/object_store';
import { localHome } from './local_fixtures';
import { objectStoreContract } from './object_store.contract';

objectStoreContract('local', async () => {
  const local = localHome();
  return { store: new LocalObjectStore(local.db, path.join(local.home, 'buckets')), bucket: 'data', cleanup: local.cleanup };
});
