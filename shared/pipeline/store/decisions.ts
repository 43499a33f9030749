import type { DocumentStore, Transaction } from '../../platform/ports';
import { collection, txCollection } from './collection';
import { COLLECTIONS, type DecisionDoc } from './documents';

/** Champion/challenger decisions, by decision id. */
export function decisionsOver(docs: DocumentStore) {
  const decisions = collection<DecisionDoc>(docs, COLLECTIONS.decisions);
  return {
    get: decisions.get,
    list: () => decisions.query(),
  };
}

export function decisionsIn(tx: Transaction) {
  const decisions = txCollection<DecisionDoc>(tx, COLLECTIONS.decisions);
  return {
    get: decisions.get,
    put: (doc: DecisionDoc) => decisions.set(doc.id, doc),
  };
}

export type Decisions = ReturnType<typeof decisionsOver>;
export type TxDecisions = ReturnType<typeof decisionsIn>;
