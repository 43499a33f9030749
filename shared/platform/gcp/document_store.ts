import { FieldPath, type DocumentReference, type Firestore, type Query as FirestoreQuery, type Transaction as FirestoreTransaction } from '@google-cloud/firestore';
import { MloopError, invalid } from '../../core/errors';
import type { Doc, DocumentStore, Query, StoredDoc, Transaction, WhereOp } from '../ports';
import { GRPC, fromGrpc, grpcCode } from './errors';

// The local adapter retries a contended transaction as often; Firestore's own default is 5.
const MAX_ATTEMPTS = 10;
const OPS: ReadonlySet<WhereOp> = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);

/**
 * Firestore in native mode. Queries are Firestore's own, so their semantics (values compare only with
 * values of their type, ordering leaves out documents without the field, ties go by document id) are
 * the ones the local adapter imitates. Transactions are Firestore's: reads lock what they read, queries
 * included, and the callback runs again on contention.
 */
export class FirestoreDocumentStore implements DocumentStore {
  constructor(private readonly db: Firestore) {}

  async get<T = Doc>(collection: string, id: string): Promise<T | null> {
    const ref = this.ref(collection, id);
    try {
      const snapshot = await ref.get();
      return snapshot.exists ? (snapshot.data() as T) : null;
    } catch (err) {
      throw fromGrpc(err, `reading ${ref.path}`);
    }
  }

  async set(collection: string, id: string, data: Doc): Promise<void> {
    const ref = this.ref(collection, id);
    checkData(data);
    try {
      await ref.set(data);
    } catch (err) {
      throw fromGrpc(err, `writing ${ref.path}`);
    }
  }

  async create(collection: string, id: string, data: Doc): Promise<boolean> {
    const ref = this.ref(collection, id);
    checkData(data);
    try {
      await ref.create(data);
      return true;
    } catch (err) {
      if (grpcCode(err) === GRPC.ALREADY_EXISTS) return false;
      throw fromGrpc(err, `creating ${ref.path}`);
    }
  }

  async update(collection: string, id: string, patch: Doc): Promise<void> {
    const ref = this.ref(collection, id);
    const [field, value, ...rest] = updateArgs(patch);
    try {
      await ref.update(field, value, ...rest);
    } catch (err) {
      throw fromGrpc(err, `updating ${ref.path}`);
    }
  }

  async delete(collection: string, id: string): Promise<void> {
    const ref = this.ref(collection, id);
    try {
      await ref.delete();
    } catch (err) {
      throw fromGrpc(err, `deleting ${ref.path}`);
    }
  }

  async query<T = Doc>(collection: string, query?: Query): Promise<Array<StoredDoc<T>>> {
    const built = this.build(collection, query);
    try {
      const snapshot = await built.get();
      return snapshot.docs.map((doc) => ({ id: doc.id, data: doc.data() as T }));
    } catch (err) {
      throw fromGrpc(err, `querying ${collection}`);
    }
  }

  async runTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.runTransaction((tx) => fn(new FirestoreTx(this, tx)), { maxAttempts: MAX_ATTEMPTS });
    } catch (err) {
      throw fromGrpc(err, 'transaction');
    }
  }

  /** Firestore checks paths itself, with a plain Error: that is bad input, so invalid_argument. */
  ref(collection: string, id: string): DocumentReference {
    try {
      return this.db.collection(collection).doc(id);
    } catch (err) {
      throw invalid(`invalid document path ${JSON.stringify(`${collection}/${id}`)}: ${(err as Error).message}`);
    }
  }

  build(collection: string, query: Query = {}): FirestoreQuery {
    try {
      let built: FirestoreQuery = this.db.collection(collection);
      for (const [field, op, value] of query.where ?? []) {
        if (!OPS.has(op)) throw new Error(`unsupported where operator ${JSON.stringify(op)} on ${field}`);
        built = built.where(field, op, value);
      }
      for (const [field, direction] of query.orderBy ?? []) {
        if (direction !== 'asc' && direction !== 'desc') throw new Error(`orderBy direction must be asc or desc, got ${direction}`);
        built = built.orderBy(field, direction);
      }
      if (query.startAfter) {
        const { values, id } = query.startAfter;
        if (!Array.isArray(values) || values.length !== (query.orderBy ?? []).length || typeof id !== 'string') {
          throw new Error(`startAfter needs one value per orderBy field (${(query.orderBy ?? []).length}) and a document id`);
        }
        // The id is the implicit last order; said explicitly, in the last direction, so the cursor can name it.
        const last = query.orderBy?.[query.orderBy.length - 1]?.[1] ?? 'asc';
        built = built.orderBy(FieldPath.documentId(), last).startAfter(...values, id);
      }
      if (query.limit !== undefined) built = built.limit(query.limit);
      return built;
    } catch (err) {
      throw invalid(`invalid query on ${collection}: ${(err as Error).message}`);
    }
  }
}

class FirestoreTx implements Transaction {
  private wrote = false;

  constructor(
    private readonly store: FirestoreDocumentStore,
    private readonly tx: FirestoreTransaction,
  ) {}

  async get<T = Doc>(collection: string, id: string): Promise<T | null> {
    this.assertReading();
    const snapshot = await this.tx.get(this.store.ref(collection, id));
    return snapshot.exists ? (snapshot.data() as T) : null;
  }

  async query<T = Doc>(collection: string, query?: Query): Promise<Array<StoredDoc<T>>> {
    this.assertReading();
    const snapshot = await this.tx.get(this.store.build(collection, query));
    return snapshot.docs.map((doc) => ({ id: doc.id, data: doc.data() as T }));
  }

  set(collection: string, id: string, data: Doc): void {
    checkData(data);
    this.wrote = true;
    this.tx.set(this.store.ref(collection, id), data);
  }

  create(collection: string, id: string, data: Doc): void {
    checkData(data);
    this.wrote = true;
    this.tx.create(this.store.ref(collection, id), data);
  }

  update(collection: string, id: string, patch: Doc): void {
    const [field, value, ...rest] = updateArgs(patch);
    this.wrote = true;
    this.tx.update(this.store.ref(collection, id), field, value, ...rest);
  }

  delete(collection: string, id: string): void {
    this.wrote = true;
    this.tx.delete(this.store.ref(collection, id));
  }

  private assertReading(): void {
    if (this.wrote) throw invalid('a transaction must do all its reads before its writes');
  }
}

function checkData(data: unknown): asserts data is Doc {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid('a document must be an object');
}

/**
 * `update` arguments that replace each top-level field whole. Each name is one FieldPath, so a key
 * with a dot in it is that key, not a path into a map (which a plain object would mean to Firestore).
 */
function updateArgs(patch: Doc): [FieldPath, unknown, ...unknown[]] {
  checkData(patch);
  const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
  if (entries.length === 0) {
    throw new MloopError('invalid_argument', 'an update needs at least one field: Firestore refuses an empty one');
  }
  const [[firstKey, firstValue], ...rest] = entries;
  return [new FieldPath(firstKey), firstValue, ...rest.flatMap(([key, value]) => [new FieldPath(key), value])];
}
