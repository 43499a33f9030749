import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MloopError, unavailable } from '../../core/errors';

/**
 * The one SQLite database of a local stack. The `mloop up` process, the train job and CLI invocations
 * open it at the same time, so every read-modify-write runs in a `BEGIN IMMEDIATE` transaction: the
 * write lock is taken before the reads, and two processes cannot both act on the same stale state.
 */
export type Db = Database.Database;

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS objects (
  bucket              TEXT NOT NULL,
  name                TEXT NOT NULL,
  generation          INTEGER NOT NULL,
  md5                 TEXT NOT NULL,
  size                INTEGER NOT NULL,
  content_type        TEXT NOT NULL,
  updated             TEXT NOT NULL,
  mtime_ms            REAL NOT NULL,
  notified_generation INTEGER,
  PRIMARY KEY (bucket, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS subscriptions (
  name                  TEXT PRIMARY KEY,
  topic                 TEXT NOT NULL,
  max_delivery_attempts INTEGER NOT NULL,
  ack_deadline_seconds  INTEGER NOT NULL,
  min_backoff_ms        INTEGER NOT NULL,
  max_backoff_ms        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_by_topic ON subscriptions (topic);

CREATE TABLE IF NOT EXISTS messages (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  id               TEXT NOT NULL,
  subscription     TEXT NOT NULL REFERENCES subscriptions (name) ON DELETE CASCADE,
  topic            TEXT NOT NULL,
  data             TEXT NOT NULL,
  attributes       TEXT NOT NULL,
  ordering_key     TEXT,
  publish_time     TEXT NOT NULL,
  delivery_attempt INTEGER NOT NULL DEFAULT 0,
  visible_at       INTEGER NOT NULL,
  lease_owner      TEXT,
  lease_host       TEXT,
  lease_pid        INTEGER,
  lease_expires_at INTEGER,
  last_error       TEXT,
  UNIQUE (subscription, id)
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (subscription, visible_at);
CREATE INDEX IF NOT EXISTS messages_leased ON messages (subscription, lease_pid) WHERE lease_owner IS NOT NULL;

CREATE TABLE IF NOT EXISTS dead_letters (
  id                TEXT PRIMARY KEY,
  message_id        TEXT NOT NULL,
  subscription      TEXT NOT NULL,
  topic             TEXT NOT NULL,
  data              TEXT NOT NULL,
  attributes        TEXT NOT NULL,
  ordering_key      TEXT,
  publish_time      TEXT NOT NULL,
  delivery_attempts INTEGER NOT NULL,
  last_error        TEXT NOT NULL,
  dead_lettered_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_subscription ON dead_letters (subscription, dead_lettered_at);

CREATE TABLE IF NOT EXISTS documents (
  collection  TEXT NOT NULL,
  id          TEXT NOT NULL,
  data        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  update_time TEXT NOT NULL,
  PRIMARY KEY (collection, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS executions (
  id          TEXT PRIMARY KEY,
  run_id      TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  pid         INTEGER,
  state       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  exit_code   INTEGER,
  error       TEXT,
  log_path    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_run ON executions (run_id);
`;

/** Opens (or creates) `<home>/mloop.db`, ready for use by several processes at once. */
export function openDatabase(home: string): Db {
  fs.mkdirSync(home, { recursive: true });
  const db = new Database(path.join(home, 'mloop.db'));
  try {
    // busy_timeout first: switching to WAL and creating tables can meet another process doing the same.
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    immediate(db, () => {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new MloopError(
          'failed_precondition',
          `${path.join(home, 'mloop.db')} was written by a newer mloop (schema ${version}); upgrade mloop`,
        );
      }
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Runs `fn` in a `BEGIN IMMEDIATE` transaction (a savepoint when already inside one). A lock held by
 * another process past the busy timeout is reported as `unavailable`, which callers may retry.
 */
export function immediate<T>(db: Db, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    // By its code, not instanceof: the native addon throws the SqliteError class of whichever copy of
    // better-sqlite3 loaded it first, and a second module registry (jest's, one per test file) has its own.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
      throw unavailable('the local database stayed locked by another mloop process; try again');
    }
    throw err;
  }
}

/** Next value of a named counter, never below `floor`; call inside a transaction. */
export function nextCounter(db: Db, name: string, floor = 0): number {
  const row = db
    .prepare(
      `INSERT INTO counters (name, value) VALUES (@name, max(@floor, 1))
       ON CONFLICT (name) DO UPDATE SET value = max(value + 1, @floor)
       RETURNING value`,
    )
    .get({ name, floor }) as { value: number };
  return row.value;
}
