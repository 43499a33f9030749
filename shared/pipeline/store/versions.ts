import { modelVersionId } from '../../core/ids';
import type { DocumentStore, Transaction } from '../../platform/ports';
import { collection, txCollection } from './collection';
import { COLLECTIONS, type ModelVersionDoc } from './documents';

/** Model versions, by model and version (`v3`); the document id joining them stays in here. */
export function versionsOver(docs: DocumentStore) {
  const versions = collection<ModelVersionDoc>(docs, COLLECTIONS.versions);
  return {
    get: (model: string, version: string) => versions.get(modelVersionId(model, version)),
    put: (doc: ModelVersionDoc) => versions.set(modelVersionId(doc.model, doc.version), doc),
    /** Every version, or one model's, oldest first. */
    list: async (filter: { model?: string } = {}): Promise<ModelVersionDoc[]> => {
      if (!filter.model) return versions.query({ orderBy: [['created_at', 'asc']] });
      // sorted here: Firestore would need a composite index to sort a filtered query
      const found = await versions.query({ where: [['model', '==', filter.model]] });
      return found.sort((a, b) => a.created_at.localeCompare(b.created_at));
    },
  };
}

export function versionsIn(tx: Transaction) {
  const versions = txCollection<ModelVersionDoc>(tx, COLLECTIONS.versions);
  return {
    get: (model: string, version: string) => versions.get(modelVersionId(model, version)),
    put: (doc: ModelVersionDoc) => versions.set(modelVersionId(doc.model, doc.version), doc),
    update: (model: string, version: string, patch: Partial<ModelVersionDoc>) => versions.update(modelVersionId(model, version), patch),
    delete: (model: string, version: string) => versions.delete(modelVersionId(model, version)),
  };
}

export type Versions = ReturnType<typeof versionsOver>;
export type TxVersions = ReturnType<typeof versionsIn>;
