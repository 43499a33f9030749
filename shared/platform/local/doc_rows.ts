import { MloopError, invalid, notFound } from '../../core/errors';
import type { Doc, Query } from '../ports';
import { compileQuery } from './doc_query';
import { nextCounter, type Db } from './sqlite';

/**
 * The `documents` table. Every write takes a fresh version from one shared counter, so a version never
 * comes back after a delete and re-create: a transaction that read version 7 can trust that 7 still
 * means the very same write.
 */
export interface DocRow {
  id: string;
  data: string;
  version: number;
}

export type DocWrite =
  | { kind: 'set' | 'create' | 'update'; collection: string; id: string; data: Doc }
  | { kind: 'delete'; collection: string; id: string };

const MAX_ID_BYTES = 1500;

/** Firestore's rules for ids, applied to each segment of a collection path too. */
export function checkDocRef(collection: string, id?: string): void {
  const segments = typeof collection === 'string' ? collection.split('/') : [];
  if (segments.length % 2 === 0) throw invalid(`invalid collection path ${JSON.stringify(collection)}`);
  for (const segment of id === undefined ? segments : [...segments, id]) {
    if (
      typeof segment !== 'string' ||
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      segment.includes('/') ||
      /^__.*__$/.test(segment) ||
      Buffer.byteLength(segment, 'utf8') > MAX_ID_BYTES
    ) {
      throw invalid(`invalid document path ${JSON.stringify(id === undefined ? collection : `${collection}/${id}`)}`);
    }
  }
}

export function checkData(data: unknown): asserts data is Doc {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid('a document must be an object');
  }
}

export function readDoc(db: Db, collection: string, id: string): DocRow | undefined {
  return db.prepare('SELECT id, data, version FROM documents WHERE collection = ? AND id = ?').get(collection, id) as
    | DocRow
    | undefined;
}

export function queryDocs(db: Db, collection: string, query?: Query): DocRow[] {
  const { sql, params } = compileQuery(collection, query);
  return db.prepare(sql).all(...params) as DocRow[];
}

/** Applies one write; call inside a transaction. `create` on an existing document throws `already_exists`. */
export function applyWrite(db: Db, write: DocWrite): void {
  const { collection, id } = write;
  if (write.kind === 'delete') {
    db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?').run(collection, id);
    return;
  }
  const existing = readDoc(db, collection, id);
  let data = write.data;
  if (write.kind === 'create' && existing) {
    throw new MloopError('already_exists', `document ${collection}/${id} already exists`);
  }
  if (write.kind === 'update') {
    if (!existing) throw notFound(`document ${collection}/${id} does not exist`);
    data = { ...(JSON.parse(existing.data) as Doc), ...data };
  }
  db.prepare(
    `INSERT INTO documents (collection, id, data, version, update_time) VALUES (@collection, @id, @data, @version, @time)
     ON CONFLICT (collection, id) DO UPDATE SET data = excluded.data, version = excluded.version, update_time = excluded.update_time`,
  ).run({ collection, id, data: JSON.stringify(data), version: nextCounter(db, 'document_version'), time: new Date().toISOString() });
}
