import type { DocumentStore } from '../../platform/ports';
import { collection } from './collection';
import { feedbackId, MONITORING_COLLECTIONS, type FeedbackDoc } from './monitoring_documents';

/** Labels fed back, one per scored instance: a second label for the same instance replaces the first. */
export function feedbackOver(docs: DocumentStore) {
  const labels = collection<FeedbackDoc>(docs, MONITORING_COLLECTIONS.feedback);
  return {
    put: (doc: FeedbackDoc) => labels.set(feedbackId(doc.request_id, doc.index), doc),
    /** Labels received at or after `since`, by `feedbackId`. */
    labelsSince: async (since: Date): Promise<Map<string, number>> => {
      const received = await labels.query({ where: [['received_at', '>=', since.toISOString()]] });
      return new Map(received.map((doc) => [feedbackId(doc.request_id, doc.index), doc.label]));
    },
  };
}

export type Feedback = ReturnType<typeof feedbackOver>;
