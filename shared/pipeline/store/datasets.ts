import { datasetId } from '../../core/ids';
import type { DocumentStore, Transaction } from '../../platform/ports';
import { collection, txCollection } from './collection';
import { COLLECTIONS, type DatasetDoc } from './documents';

/** Dataset versions, by model and content version. */
export function datasetsOver(docs: DocumentStore) {
  const datasets = collection<DatasetDoc>(docs, COLLECTIONS.datasets);
  return {
    get: (model: string, version: string) => datasets.get(datasetId(model, version)),
    /**
     * Records the dataset unless its version is already recorded, and returns the stored one: the same
     * bytes validated twice (a redelivered event, two uploads) keep the first record.
     */
    createOrGet: async (doc: DatasetDoc): Promise<DatasetDoc> => {
      const id = datasetId(doc.model, doc.version);
      if (await datasets.create(id, doc)) return doc;
      return (await datasets.get(id)) ?? doc;
    },
    /** Every dataset version, oldest first. */
    list: () => datasets.query({ orderBy: [['created_at', 'asc']] }),
    /** The newest accepted dataset a person uploaded: retraining datasets extend one, never each other. */
    latestUploaded: async (model: string): Promise<DatasetDoc | null> => {
      const accepted = await datasets.query({
        where: [
          ['model', '==', model],
          ['status', '==', 'accepted'],
        ],
        orderBy: [['created_at', 'desc']],
      });
      return accepted.find((d) => !d.derived_from) ?? null;
    },
    /** Every accepted file uploaded under datasets/<model>/, oldest first: neither retraining nor composed datasets. */
    acceptedUploads: async (model: string): Promise<DatasetDoc[]> => {
      // the order latestUploaded asks for, reversed here, so that one Firestore index serves both
      const accepted = await datasets.query({
        where: [
          ['model', '==', model],
          ['status', '==', 'accepted'],
        ],
        orderBy: [['created_at', 'desc']],
      });
      return accepted.filter((d) => !d.derived_from && !d.members).reverse();
    },
  };
}

export function datasetsIn(tx: Transaction) {
  const datasets = txCollection<DatasetDoc>(tx, COLLECTIONS.datasets);
  return {
    get: (model: string, version: string) => datasets.get(datasetId(model, version)),
  };
}

export type Datasets = ReturnType<typeof datasetsOver>;
export type TxDatasets = ReturnType<typeof datasetsIn>;
