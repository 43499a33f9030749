import { invalid } from '../../core/errors';
import type { Query, WhereOp } from '../ports';

/**
 * Turns a Firestore-like query into SQL over the JSON in `documents.data`. Comparisons only match
 * values of the same type (a number never equals a string, `true` is not 1), ordering puts types in
 * Firestore's order, and ordering by a field leaves out documents without it — all as in Firestore.
 * Everything the caller gives is bound as a parameter, field paths included.
 */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

const MAX_IN_VALUES = 30;
const INEQUALITIES: ReadonlySet<WhereOp> = new Set(['!=', '<', '<=', '>', '>=']);
const TYPE_RANK = `CASE json_type(data, ?)
  WHEN 'null' THEN 0 WHEN 'false' THEN 1 WHEN 'true' THEN 1 WHEN 'integer' THEN 2 WHEN 'real' THEN 2
  WHEN 'text' THEN 3 WHEN 'array' THEN 4 ELSE 5 END`;

export function compileQuery(collection: string, query: Query = {}): CompiledQuery {
  const conditions = ['collection = ?'];
  const params: unknown[] = [collection];
  for (const [field, op, value] of query.where ?? []) {
    const [sql, args] = condition(jsonPath(field), op, value, field);
    conditions.push(sql);
    params.push(...args);
  }
  const order: string[] = [];
  const orderParams: unknown[] = [];
  let lastDirection = 'ASC';
  for (const [field, direction] of query.orderBy ?? []) {
    if (direction !== 'asc' && direction !== 'desc') throw invalid(`orderBy direction must be asc or desc, got ${direction}`);
    const path = jsonPath(field);
    lastDirection = direction.toUpperCase();
    conditions.push('json_type(data, ?) IS NOT NULL');
    params.push(path);
    order.push(`${TYPE_RANK} ${lastDirection}`, `json_extract(data, ?) ${lastDirection}`);
    orderParams.push(path, path);
  }
  // Firestore orders by the fields of inequality filters next (by field name), in the last direction.
  const ordered = new Set((query.orderBy ?? []).map(([field]) => field));
  const inequalities = [...new Set((query.where ?? []).filter(([field, op]) => INEQUALITIES.has(op) && !ordered.has(field)).map(([field]) => field))];
  for (const field of inequalities.sort()) {
    const path = jsonPath(field);
    order.push(`${TYPE_RANK} ${lastDirection}`, `json_extract(data, ?) ${lastDirection}`);
    orderParams.push(path, path);
  }
  // Ties, and queries without orderBy, go by document id, as Firestore does.
  order.push(`id ${lastDirection}`);
  if (query.startAfter) {
    if (inequalities.length > 0) throw invalid('startAfter with an inequality on a field that is not ordered by is not supported');
    const [sql, args] = after(query.orderBy ?? [], query.startAfter, lastDirection === 'ASC' ? '>' : '<');
    conditions.push(sql);
    params.push(...args);
  }
  let sql = `SELECT id, data, version FROM documents WHERE ${conditions.join(' AND ')} ORDER BY ${order.join(', ')}`;
  params.push(...orderParams);
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 0) throw invalid(`limit must be a non-negative integer, got ${query.limit}`);
    sql += ' LIMIT ?';
    params.push(query.limit);
  }
  return { sql, params };
}

/**
 * Documents after the cursor in the query's order: (f1, …, fn, id) compared as a tuple, each field in
 * its direction and, as Firestore orders mixed types, by type first.
 */
function after(orderBy: Array<[string, 'asc' | 'desc']>, cursor: { values: Array<string | number>; id: string }, idOp: '>' | '<'): [string, unknown[]] {
  if (!Array.isArray(cursor.values) || cursor.values.length !== orderBy.length || typeof cursor.id !== 'string') {
    throw invalid(`startAfter needs one value per orderBy field (${orderBy.length}) and a document id`);
  }
  const alternatives: string[] = [];
  const args: unknown[] = [];
  const equalSoFar: Array<[string, unknown[]]> = [];
  orderBy.forEach(([field, direction], i) => {
    const value = cursor.values[i];
    const rank = typeof value === 'number' && Number.isFinite(value) ? 2 : typeof value === 'string' ? 3 : null;
    if (rank === null) throw invalid(`startAfter on ${field} needs a number or a string, got ${JSON.stringify(value)}`);
    const path = jsonPath(field);
    const op = direction === 'asc' ? '>' : '<';
    const beyond = `(${TYPE_RANK} ${op} ? OR (${TYPE_RANK} = ? AND json_extract(data, ?) ${op} ?))`;
    alternatives.push([...equalSoFar.map(([sql]) => sql), beyond].join(' AND '));
    args.push(...equalSoFar.flatMap(([, a]) => a), path, rank, path, rank, path, value);
    equalSoFar.push(equals(path, value, field));
  });
  alternatives.push([...equalSoFar.map(([sql]) => sql), `id ${idOp} ?`].join(' AND '));
  args.push(...equalSoFar.flatMap(([, a]) => a), cursor.id);
  return [`(${alternatives.map((a) => `(${a})`).join(' OR ')})`, args];
}

function condition(path: string, op: WhereOp, value: unknown, field: string): [string, unknown[]] {
  switch (op) {
    case '==':
      return equals(path, value, field);
    case '!=': {
      // As in Firestore, a missing field or a null never matches !=.
      const [sql, args] = equals(path, value, field);
      return [`(json_type(data, ?) NOT IN ('null') AND NOT ${sql})`, [path, ...args]];
    }
    case 'in': {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
        throw invalid(`"in" on ${field} needs an array of 1 to ${MAX_IN_VALUES} values`);
      }
      const parts = value.map((v) => equals(path, v, field));
      return [`(${parts.map(([sql]) => sql).join(' OR ')})`, parts.flatMap(([, args]) => args)];
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const types = typeof value === 'number' && Number.isFinite(value) ? `'integer', 'real'` : typeof value === 'string' ? `'text'` : null;
      if (!types) throw invalid(`"${op}" on ${field} needs a number or a string, got ${JSON.stringify(value)}`);
      return [`(json_type(data, ?) IN (${types}) AND json_extract(data, ?) ${op} ?)`, [path, path, value]];
    }
    default:
      throw invalid(`unsupported where operator ${JSON.stringify(op)} on ${field}`);
  }
}

function equals(path: string, value: unknown, field: string): [string, unknown[]] {
  if (value === null) return [`(json_type(data, ?) = 'null')`, [path]];
  if (typeof value === 'boolean') return [`(json_type(data, ?) = '${value}')`, [path]];
  if (typeof value === 'number' && Number.isFinite(value)) {
    return [`(json_type(data, ?) IN ('integer', 'real') AND json_extract(data, ?) = ?)`, [path, path, value]];
  }
  if (typeof value === 'string') return [`(json_type(data, ?) = 'text' AND json_extract(data, ?) = ?)`, [path, path, value]];
  throw invalid(`where on ${field} compares with a string, number, boolean or null, got ${JSON.stringify(value)}`);
}

/** `a.b` → `$."a"."b"`: quoted, so any segment without quotes or backslashes is a plain key. */
function jsonPath(field: string): string {
  const segments = typeof field === 'string' ? field.split('.') : [];
  if (segments.length === 0 || segments.some((s) => s === '' || /["\\\u0000-\u001f]/.test(s))) {
    throw invalid(`invalid field path ${JSON.stringify(field)}`);
  }
  return '$' + segments.map((s) => `."${s}"`).join('');
}
