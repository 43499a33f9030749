import type { DocumentStore, Transaction } from '../../platform/ports';
import { collection, txCollection } from './collection';
import { MONITORING_COLLECTIONS, type MonitoringDoc } from './monitoring_documents';

/** Monitoring's state per model (last retraining asked for, newest report), by model name. */
export function monitoringOver(docs: DocumentStore) {
  const states = collection<MonitoringDoc>(docs, MONITORING_COLLECTIONS.monitoring);
  return {
    get: states.get,
    list: () => states.query(),
  };
}

export function monitoringIn(tx: Transaction) {
  const states = txCollection<MonitoringDoc>(tx, MONITORING_COLLECTIONS.monitoring);
  return {
    get: states.get,
    put: (doc: MonitoringDoc) => states.set(doc.model, doc),
  };
}

export type Monitoring = ReturnType<typeof monitoringOver>;
export type TxMonitoring = ReturnType<typeof monitoringIn>;
