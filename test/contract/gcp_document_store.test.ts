import { Firestore } from '@google-cloud/firestore';
import { FirestoreDocumentStore } from '../../shared/platform/gcp/document_store';
import { OFFLINE } from '../../shared/platform/gcp/offline';
import { documentStoreContract } from './document_store.contract';
import { firestoreEmulator, testProject } from './gcp_fixtures';

const projectId = testProject('docs');
let db: Firestore;
beforeAll(() => {
  db = new Firestore({ projectId, host: firestoreEmulator(), ssl: false, ignoreUndefinedProperties: true, ...OFFLINE });
});
afterAll(async () => {
  await fetch(`http://${firestoreEmulator()}/emulator/v1/projects/${projectId}/databases/(default)/documents`, { method: 'DELETE' });
  await db.terminate();
});

documentStoreContract('Firestore (emulator)', async () => ({ docs: new FirestoreDocumentStore(db), cleanup: async () => undefined }));
