import type { DocumentStore, Transaction } from '../../platform/ports';
import type { Context } from '../context';
import { datasetsIn, datasetsOver } from './datasets';
import { decisionsIn, decisionsOver } from './decisions';
import { driftReportsOver } from './drift_reports';
import { feedbackOver } from './feedback';
import { modelsIn, modelsOver } from './models';
import { monitoringIn, monitoringOver } from './monitoring';
import { runRequestsOver } from './run_requests';
import { runsIn, runsOver } from './runs';
import { versionsIn, versionsOver } from './versions';

/**
 * mloop's documents, one typed repository per collection, over the platform's document store. Use-cases
 * read and write through this; collection names and document ids stay inside it.
 */
export function storeOver(docs: DocumentStore) {
  return {
    runs: runsOver(docs),
    runRequests: runRequestsOver(docs),
    datasets: datasetsOver(docs),
    models: modelsOver(docs),
    versions: versionsOver(docs),
    decisions: decisionsOver(docs),
    driftReports: driftReportsOver(docs),
    monitoring: monitoringOver(docs),
    feedback: feedbackOver(docs),
    /** Reads first, then writes, as in Firestore; the callback runs again on contention. */
    inTransaction: <T>(fn: (tx: TxStore) => Promise<T>): Promise<T> => docs.runTransaction((tx) => fn(txStoreOver(tx))),
  };
}

/** The repositories inside one transaction of the port. */
export function txStoreOver(tx: Transaction) {
  return {
    runs: runsIn(tx),
    datasets: datasetsIn(tx),
    models: modelsIn(tx),
    versions: versionsIn(tx),
    decisions: decisionsIn(tx),
    monitoring: monitoringIn(tx),
  };
}

export type Store = ReturnType<typeof storeOver>;
export type TxStore = ReturnType<typeof txStoreOver>;

export const storeOf = (ctx: Pick<Context, 'platform'>): Store => storeOver(ctx.platform.docs);
