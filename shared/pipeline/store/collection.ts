import type { Doc, DocumentStore, Query, Transaction, WhereOp } from '../../platform/ports';

/**
 * One collection's documents, typed: the only place that turns a document type into the ports' untyped
 * records and back. Field names in queries are the document's own, so a renamed field fails to compile.
 */
export interface TypedQuery<T> {
  where?: Array<[field: keyof T & string, op: WhereOp, value: unknown]>;
  orderBy?: Array<[field: keyof T & string, direction: 'asc' | 'desc']>;
  startAfter?: Query['startAfter'];
  limit?: number;
}

// A document interface has no index signature, so it does not widen to the ports' record by itself.
const record = (data: object): Doc => data as Doc;

export function collection<T extends object>(docs: DocumentStore, name: string) {
  return {
    get: (id: string) => docs.get<T>(name, id),
    set: (id: string, data: T) => docs.set(name, id, record(data)),
    /** False, and nothing written, when the document exists. */
    create: (id: string, data: T) => docs.create(name, id, record(data)),
    update: (id: string, patch: Partial<T>) => docs.update(name, id, record(patch)),
    query: async (query: TypedQuery<T> = {}) => (await docs.query<T>(name, query)).map(({ data }) => data),
  };
}

/** The same inside a transaction: reads first, then writes, which apply when the callback returns. */
export function txCollection<T extends object>(tx: Transaction, name: string) {
  return {
    get: (id: string) => tx.get<T>(name, id),
    set: (id: string, data: T) => tx.set(name, id, record(data)),
    create: (id: string, data: T) => tx.create(name, id, record(data)),
    update: (id: string, patch: Partial<T>) => tx.update(name, id, record(patch)),
    delete: (id: string) => tx.delete(name, id),
    query: async (query: TypedQuery<T> = {}) => (await tx.query<T>(name, query)).map(({ data }) => data),
  };
}
