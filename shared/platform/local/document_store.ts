import { MloopError, invalid } from '../../core/errors';
import type { Doc, DocumentStore, Query, StoredDoc, Transaction } from '../ports';
import { applyWrite, checkData, checkDocRef, queryDocs, readDoc, type DocRow, type DocWrite } from './doc_rows';
import { immediate, type Db } from './sqlite';

const MAX_ATTEMPTS = 10;

/** Firestore-like collections of JSON documents in SQLite. */
export class LocalDocumentStore implements DocumentStore {
  constructor(private readonly db: Db) {}

  async get<T = Doc>(collection: string, id: string): Promise<T | null> {
    checkDocRef(collection, id);
    const row = readDoc(this.db, collection, id);
    return row ? (JSON.parse(row.data) as T) : null;
  }

  async set(collection: string, id: string, data: Doc): Promise<void> {
    this.write({ kind: 'set', collection, id, data });
  }

  async create(collection: string, id: string, data: Doc): Promise<boolean> {
    checkDocRef(collection, id);
    checkData(data);
    return immediate(this.db, () => {
      if (readDoc(this.db, collection, id)) return false;
      applyWrite(this.db, { kind: 'create', collection, id, data });
      return true;
    });
  }

  async update(collection: string, id: string, patch: Doc): Promise<void> {
    this.write({ kind: 'update', collection, id, data: patch });
  }

  async delete(collection: string, id: string): Promise<void> {
    this.write({ kind: 'delete', collection, id });
  }

  async query<T = Doc>(collection: string, query?: Query): Promise<Array<StoredDoc<T>>> {
    checkDocRef(collection);
    return queryDocs(this.db, collection, query).map(toStored<T>);
  }

  /**
   * Optimistic, as Firestore: the callback reads straight from the database and buffers its writes;
   * the commit, in one IMMEDIATE transaction, checks that nothing it read (or would now find with its
   * queries) has changed, then writes. On a conflict the whole callback runs again.
   */
  async runTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const tx = new LocalTransaction(this.db);
      let result: T;
      try {
        result = await fn(tx);
      } catch (err) {
        // Reads are not one snapshot: a callback that failed on a view changed under it runs again.
        if (attempt < MAX_ATTEMPTS && !tx.readsHold()) {
          await backoff(attempt);
          continue;
        }
        throw err;
      }
      if (tx.commit()) return result;
      if (attempt === MAX_ATTEMPTS) {
        throw new MloopError('unavailable', 'transaction contention', { attempts: attempt });
      }
      await backoff(attempt);
    }
  }

  private write(write: DocWrite): void {
    checkDocRef(write.collection, write.id);
    if (write.kind !== 'delete') checkData(write.data);
    immediate(this.db, () => applyWrite(this.db, write));
  }
}

class LocalTransaction implements Transaction {
  private readonly reads = new Map<string, { collection: string; id: string; version: number | null }>();
  private readonly queries: Array<{ collection: string; query?: Query; seen: string }> = [];
  private readonly writes: DocWrite[] = [];

  constructor(private readonly db: Db) {}

  async get<T = Doc>(collection: string, id: string): Promise<T | null> {
    this.assertReading();
    checkDocRef(collection, id);
    const row = readDoc(this.db, collection, id);
    const key = `${collection}/${id}`;
    // The first read is the one the callback acted on; a later one that differs is caught at commit.
    if (!this.reads.has(key)) this.reads.set(key, { collection, id, version: row?.version ?? null });
    return row ? (JSON.parse(row.data) as T) : null;
  }

  async query<T = Doc>(collection: string, query?: Query): Promise<Array<StoredDoc<T>>> {
    this.assertReading();
    checkDocRef(collection);
    const rows = queryDocs(this.db, collection, query);
    this.queries.push({ collection, query, seen: fingerprint(rows) });
    return rows.map(toStored<T>);
  }

  set(collection: string, id: string, data: Doc): void {
    this.buffer({ kind: 'set', collection, id, data });
  }

  create(collection: string, id: string, data: Doc): void {
    this.buffer({ kind: 'create', collection, id, data });
  }

  update(collection: string, id: string, patch: Doc): void {
    this.buffer({ kind: 'update', collection, id, data: patch });
  }

  delete(collection: string, id: string): void {
    this.buffer({ kind: 'delete', collection, id });
  }

  /** Whether everything read is still as it was read. */
  readsHold(): boolean {
    for (const read of this.reads.values()) {
      if ((readDoc(this.db, read.collection, read.id)?.version ?? null) !== read.version) return false;
    }
    // Re-running each query also catches documents that started or stopped matching it.
    return this.queries.every(({ collection, query, seen }) => fingerprint(queryDocs(this.db, collection, query)) === seen);
  }

  /** false when something read has changed since: the caller runs the callback again. */
  commit(): boolean {
    return immediate(this.db, () => {
      if (!this.readsHold()) return false;
      for (const write of this.writes) applyWrite(this.db, write);
      return true;
    });
  }

  private buffer(write: DocWrite): void {
    checkDocRef(write.collection, write.id);
    if (write.kind !== 'delete') checkData(write.data);
    this.writes.push(write);
  }

  private assertReading(): void {
    if (this.writes.length > 0) throw invalid('a transaction must do all its reads before its writes');
  }
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, attempt * (2 + Math.random() * 8)));
}

function fingerprint(rows: DocRow[]): string {
  return rows.map((row) => `${row.id}@${row.version}`).join(',');
}

function toStored<T>(row: DocRow): StoredDoc<T> {
  return { id: row.id, data: JSON.parse(row.data) as T };
}
