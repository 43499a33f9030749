import { shortHash } from '../../core/ids';
import type { DocumentStore } from '../../platform/ports';
import { collection } from './collection';
import { COLLECTIONS, type RunRequestDoc } from './documents';

/** Client requests to start a run (POST /api/runs), by idempotency key: what makes a retried POST the same run. */
export function runRequestsOver(docs: DocumentStore) {
  const requests = collection<RunRequestDoc>(docs, COLLECTIONS.runRequests);
  // Keys are whatever clients send: hashed into a document id, kept whole in the document.
  const idOf = (key: string) => `key-${shortHash(key, 32)}`;
  return {
    get: (key: string) => requests.get(idOf(key)),
    /** False, and nothing written, when the key was used before. */
    create: (doc: RunRequestDoc) => requests.create(idOf(doc.key), doc),
  };
}

export type RunRequests = ReturnType<typeof runRequestsOver>;
