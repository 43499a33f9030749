import type { DocumentStore, Transaction } from '../../platform/ports';
import { collection, txCollection } from './collection';
import { COLLECTIONS, type ModelDoc } from './documents';

/** One document per model: its production pointer, aliases and next version number, by model name. */
export function modelsOver(docs: DocumentStore) {
  const models = collection<ModelDoc>(docs, COLLECTIONS.models);
  return {
    get: models.get,
    list: () => models.query(),
    put: (doc: ModelDoc) => models.set(doc.name, doc),
    /** What production serves for `model`, or null (no model, or nothing promoted yet). */
    productionVersion: async (model: string): Promise<string | null> => (await models.get(model))?.production_version ?? null,
  };
}

export function modelsIn(tx: Transaction) {
  const models = txCollection<ModelDoc>(tx, COLLECTIONS.models);
  return {
    get: models.get,
    put: (doc: ModelDoc) => models.set(doc.name, doc),
    update: models.update,
  };
}

export type Models = ReturnType<typeof modelsOver>;
export type TxModels = ReturnType<typeof modelsIn>;
