import type { DocumentStore } from '../../platform/ports';
import { collection } from './collection';
import { MONITORING_COLLECTIONS, type DriftReportDoc } from './monitoring_documents';

/** Drift reports, one per model per tick, by report id. */
export function driftReportsOver(docs: DocumentStore) {
  const reports = collection<DriftReportDoc>(docs, MONITORING_COLLECTIONS.reports);
  return {
    get: reports.get,
    /** Adds what a report learns later: the performance its labels realised. */
    update: reports.update,
    /** Records the report unless a tick for the same instant already did, and returns the stored one. */
    createOrGet: async (doc: DriftReportDoc): Promise<DriftReportDoc> =>
      (await reports.create(doc.id, doc)) ? doc : ((await reports.get(doc.id)) ?? doc),
    /** Every report, or one model's, oldest first. */
    list: (filter: { model?: string } = {}) =>
      filter.model
        ? reports.query({ where: [['model', '==', filter.model]], orderBy: [['created_at', 'asc']] })
        : reports.query({ orderBy: [['created_at', 'asc']] }),
  };
}

export type DriftReports = ReturnType<typeof driftReportsOver>;
