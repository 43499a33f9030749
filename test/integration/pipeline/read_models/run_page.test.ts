import { Firestore } from '@google-cloud/firestore';
import type { Context } from '../../../../shared/pipeline/context';
import { pageRuns, type RunPageRequest } from '../../../../shared/pipeline/read_models/run_page';
import { storeOver } from '../../../../shared/pipeline/store';
import { FirestoreDocumentStore } from '../../../../shared/platform/gcp/document_store';
import { OFFLINE } from '../../../../shared/platform/gcp/offline';
import type { DocumentStore } from '../../../../shared/platform/ports';
import { firestoreEmulator, testProject } from '../../../contract/gcp_fixtures';
import { localStore, runDoc, type LocalStore } from '../store/local_store';

const projectId = testProject('run-page');
let firestore: Firestore;
let local: LocalStore;

beforeAll(() => {
  firestore = new Firestore({ projectId, host: firestoreEmulator(), ssl: false, ignoreUndefinedProperties: true, ...OFFLINE });
  local = localStore();
});

afterAll(async () => {
  local.cleanup();
  await fetch(`http://${firestoreEmulator()}/emulator/v1/projects/${projectId}/databases/(default)/documents`, { method: 'DELETE' });
  await firestore.terminate();
});

// The same pages from SQLite and from Firestore: the query (model, newest first, after a cursor) is each store's own.
describe.each([
  ['SQLite', () => local.docs as DocumentStore],
  ['Firestore (emulator)', () => new FirestoreDocumentStore(firestore) as DocumentStore],
])('paging runs on %s', (_name, docsOf) => {
  let ctx: Context;

  beforeAll(async () => {
    const docs = docsOf();
    ctx = { platform: { docs } } as unknown as Context;
    // 450 runs, more than one scan batch, two models, every third one tagged, two in the same millisecond
    await storeOver(docs).inTransaction(async (tx) => {
      for (let i = 1; i <= 450; i++) {
        tx.runs.create(runDoc(`r${String(i).padStart(3, '0')}`, i, { model: i % 2 ? 'fraud' : 'churn', status: i % 5 ? 'succeeded' : 'failed', ...(i % 3 === 0 && { tags: { team: 'risk' } }) }));
      }
      tx.runs.create(runDoc('r450b', 450, { model: 'churn' }));
    });
  });

  async function all(request: RunPageRequest): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await pageRuns(ctx, { ...request, page_token: token });
      ids.push(...page.runs.map((r) => r.id));
      token = page.next_page_token ?? undefined;
      pages++;
    } while (token);
    return { ids, pages };
  }

  test('three pages of one model, newest first, each run once', async () => {
    const { ids, pages } = await all({ model: 'fraud', limit: 80 });
    const fraud = Array.from({ length: 225 }, (_, k) => `r${String(449 - 2 * k).padStart(3, '0')}`);
    expect(ids).toEqual(fraud);
    expect(pages).toBe(3);
  });

  test('filters read across scan batches, and the id breaks a tie of created_at', async () => {
    const failedRisk = await all({ status: 'failed', tags: { team: 'risk' }, limit: 10 });
    expect(failedRisk.ids).toEqual(Array.from({ length: 30 }, (_, k) => `r${String(450 - 15 * k).padStart(3, '0')}`));
    // a full last page hands out a token; the page after it is empty
    expect(failedRisk.pages).toBe(4);
    const newest = await pageRuns(ctx, { limit: 3 });
    expect(newest.runs.map((r) => r.id)).toEqual(['r450b', 'r450', 'r449']);
    const since = await all({ since: runDoc('x', 440).created_at, model: 'churn' });
    expect(since.ids).toEqual(['r450b', 'r450', 'r448', 'r446', 'r444', 'r442', 'r440']);
  });
});
