import { randomUUID } from 'node:crypto';
import { notFound, preconditionFailed } from '../../core/errors';
import type { BusMessage, DeadLetter } from '../ports';
import { isAlive } from './pids';
import { immediate, type Db } from './sqlite';

/**
 * The durable queue behind the local event bus: one row per (subscription, message), leased to one
 * consumer at a time. Every state change is an IMMEDIATE transaction, so consumers in several
 * processes never both claim a message, and a crash between claim and ack only delays it.
 */
export interface SubscriptionRow {
  name: string;
  topic: string;
  max_delivery_attempts: number;
  ack_deadline_seconds: number;
  min_backoff_ms: number;
  max_backoff_ms: number;
}

/** Who holds a lease: the pid decides, on this host, whether the holder still lives. */
export interface LeaseOwner {
  owner: string;
  host: string;
  pid: number;
}

/** A message's own columns, alike in `messages` and `dead_letters`: what a dead letter keeps and a requeue restores. */
interface StoredMessage {
  subscription: string;
  topic: string;
  data: string;
  attributes: string;
  ordering_key: string | null;
  publish_time: string;
}

interface MessageRow extends StoredMessage {
  seq: number;
  id: string;
  delivery_attempt: number;
  last_error: string | null;
}

interface DeadLetterRow extends StoredMessage {
  id: string;
  message_id: string;
  delivery_attempts: number;
  last_error: string;
  dead_lettered_at: string;
}

export interface QueueStats {
  subscription: string;
  topic: string;
  /** Waiting for delivery, including those backing off after a failure. */
  pending: number;
  inFlight: number;
  dead: number;
}

export function readSubscription(db: Db, name: string): SubscriptionRow | undefined {
  return db.prepare('SELECT * FROM subscriptions WHERE name = ?').get(name) as SubscriptionRow | undefined;
}

/** Stores one copy per subscription of the topic as it is now: no subscription, no delivery. */
export function enqueue(
  db: Db,
  message: { id: string; topic: string; data: string; attributes: string; orderingKey?: string },
  now: number,
): void {
  immediate(db, () => {
    db.prepare(
      `INSERT INTO messages (id, subscription, topic, data, attributes, ordering_key, publish_time, visible_at)
       SELECT @id, name, @topic, @data, @attributes, @orderingKey, @publishTime, @now
       FROM subscriptions WHERE topic = @topic`,
    ).run({ ...message, orderingKey: message.orderingKey ?? null, publishTime: new Date(now).toISOString(), now });
  });
}

const READY = `
  SELECT * FROM messages
  WHERE subscription = @subscription AND visible_at <= @now AND (lease_owner IS NULL OR lease_expires_at <= @now)
  ORDER BY visible_at, seq LIMIT 1`;

/**
 * Leases the next deliverable message to `lease`, or returns null. A message whose lease ran out on
 * its last allowed attempt goes to the dead letters instead, as Pub/Sub counts an expired ack
 * deadline as a delivery attempt.
 */
export function claimNext(db: Db, sub: SubscriptionRow, lease: LeaseOwner, now: number): BusMessage | null {
  const ready = db.prepare(READY);
  if (!ready.get({ subscription: sub.name, now })) return null;
  return immediate(db, () => {
    for (;;) {
      const row = ready.get({ subscription: sub.name, now }) as MessageRow | undefined;
      if (!row) return null;
      if (row.delivery_attempt >= sub.max_delivery_attempts) {
        deadLetter(db, row, row.last_error ?? 'the ack deadline passed on the last delivery attempt', now);
        continue;
      }
      const attempt = row.delivery_attempt + 1;
      db.prepare(
        `UPDATE messages SET lease_owner = @owner, lease_host = @host, lease_pid = @pid,
           lease_expires_at = @expires, delivery_attempt = @attempt
         WHERE seq = @seq`,
      ).run({ ...lease, expires: now + sub.ack_deadline_seconds * 1000, attempt, seq: row.seq });
      return toMessage(row, attempt);
    }
  });
}

/**
 * Frees the leases of consumers on this host whose process is gone, so their messages need not wait
 * for the ack deadline. A pid reused by an unrelated process keeps its lease until the deadline.
 */
export function releaseDeadLeases(db: Db, subscription: string, self: LeaseOwner): number {
  const holders = db
    .prepare(
      `SELECT DISTINCT lease_pid AS pid FROM messages
       WHERE subscription = ? AND lease_owner IS NOT NULL AND lease_host = ? AND lease_pid != ?`,
    )
    .all(subscription, self.host, self.pid) as Array<{ pid: number }>;
  const dead = holders.filter((h) => !isAlive(h.pid));
  if (dead.length === 0) return 0;
  return immediate(db, () => {
    let released = 0;
    for (const { pid } of dead) {
      released += db
        .prepare(
          `UPDATE messages SET lease_owner = NULL, lease_host = NULL, lease_pid = NULL, lease_expires_at = NULL,
             last_error = @error
           WHERE subscription = @subscription AND lease_owner IS NOT NULL AND lease_host = @host AND lease_pid = @pid`,
        )
        .run({ subscription, host: self.host, pid, error: `the consumer (pid ${pid}) died while handling it` }).changes;
    }
    return released;
  });
}

/** Done with: gone from the queue, whoever holds the lease now. */
export function ack(db: Db, subscription: string, id: string): void {
  db.prepare('DELETE FROM messages WHERE subscription = ? AND id = ?').run(subscription, id);
}

/**
 * A failed delivery: back off exponentially, or dead-letter after the last attempt. Nothing happens
 * when the lease was lost meanwhile, since another consumer now owns the message.
 */
export function nack(
  db: Db,
  sub: SubscriptionRow,
  id: string,
  lease: LeaseOwner,
  error: string,
  now: number,
): 'retry' | 'dead' | 'lost' {
  return immediate(db, () => {
    const row = db
      .prepare('SELECT * FROM messages WHERE subscription = ? AND id = ? AND lease_owner = ?')
      .get(sub.name, id, lease.owner) as MessageRow | undefined;
    if (!row) return 'lost';
    if (row.delivery_attempt >= sub.max_delivery_attempts) {
      deadLetter(db, row, error, now);
      return 'dead';
    }
    const backoff = Math.min(sub.max_backoff_ms, sub.min_backoff_ms * 2 ** (row.delivery_attempt - 1));
    db.prepare(
      `UPDATE messages SET lease_owner = NULL, lease_host = NULL, lease_pid = NULL, lease_expires_at = NULL,
         visible_at = @visibleAt, last_error = @error
       WHERE seq = @seq`,
    ).run({ visibleAt: now + backoff, error, seq: row.seq });
    return 'retry';
  });
}

export function listDeadLetters(db: Db, subscription?: string): DeadLetter[] {
  const rows = (
    subscription === undefined
      ? db.prepare('SELECT * FROM dead_letters ORDER BY dead_lettered_at, id').all()
      : db.prepare('SELECT * FROM dead_letters WHERE subscription = ? ORDER BY dead_lettered_at, id').all(subscription)
  ) as DeadLetterRow[];
  return rows.map((row) => ({
    id: row.id,
    subscription: row.subscription,
    topic: row.topic,
    data: JSON.parse(row.data),
    attributes: JSON.parse(row.attributes),
    deliveryAttempts: row.delivery_attempts,
    lastError: row.last_error,
    deadLetteredAt: row.dead_lettered_at,
  }));
}

/** Back on its subscription, under its original message id, as if never delivered. */
export function requeueDeadLetter(db: Db, deadLetterId: string, now: number): void {
  immediate(db, () => {
    const row = db.prepare('SELECT * FROM dead_letters WHERE id = ?').get(deadLetterId) as DeadLetterRow | undefined;
    if (!row) throw notFound(`no dead letter ${deadLetterId}`);
    if (!readSubscription(db, row.subscription)) {
      throw preconditionFailed(`subscription ${row.subscription} of dead letter ${deadLetterId} no longer exists`);
    }
    db.prepare(
      `INSERT INTO messages (id, subscription, topic, data, attributes, ordering_key, publish_time, visible_at)
       VALUES (@message_id, @subscription, @topic, @data, @attributes, @ordering_key, @publish_time, @now)`,
    ).run({ ...storedMessage(row), message_id: row.message_id, now });
    db.prepare('DELETE FROM dead_letters WHERE id = ?').run(deadLetterId);
  });
}

export function queueStats(db: Db, now: number): QueueStats[] {
  return db
    .prepare(
      `SELECT s.name AS subscription, s.topic,
         (SELECT count(*) FROM messages m WHERE m.subscription = s.name
            AND (m.lease_owner IS NULL OR m.lease_expires_at <= @now)) AS pending,
         (SELECT count(*) FROM messages m WHERE m.subscription = s.name
            AND m.lease_owner IS NOT NULL AND m.lease_expires_at > @now) AS inFlight,
         (SELECT count(*) FROM dead_letters d WHERE d.subscription = s.name) AS dead
       FROM subscriptions s ORDER BY s.name`,
    )
    .all({ now }) as QueueStats[];
}

function deadLetter(db: Db, row: MessageRow, error: string, now: number): void {
  db.prepare(
    `INSERT INTO dead_letters (id, message_id, subscription, topic, data, attributes, ordering_key, publish_time,
       delivery_attempts, last_error, dead_lettered_at)
     VALUES (@id, @message_id, @subscription, @topic, @data, @attributes, @ordering_key, @publish_time,
       @delivery_attempts, @last_error, @dead_lettered_at)`,
  ).run({
    ...storedMessage(row),
    id: randomUUID(),
    message_id: row.id,
    delivery_attempts: row.delivery_attempt,
    last_error: error,
    dead_lettered_at: new Date(now).toISOString(),
  });
  db.prepare('DELETE FROM messages WHERE seq = ?').run(row.seq);
}

/** Only the message's columns: a row's id, attempts and error mean other things in the other table. */
function storedMessage(row: StoredMessage): StoredMessage {
  return {
    subscription: row.subscription,
    topic: row.topic,
    data: row.data,
    attributes: row.attributes,
    ordering_key: row.ordering_key,
    publish_time: row.publish_time,
  };
}

function toMessage(row: MessageRow, deliveryAttempt: number): BusMessage {
  return {
    id: row.id,
    topic: row.topic,
    data: JSON.parse(row.data),
    attributes: JSON.parse(row.attributes),
    publishTime: row.publish_time,
    deliveryAttempt,
  };
}
