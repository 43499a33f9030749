import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../../core/config';
import { errorMessage, invalid, notFound, preconditionFailed } from '../../core/errors';
import type { Logger } from '../../core/log';
import type {
  DeadLetter,
  EventBus,
  MessageHandler,
  PublishOptions,
  Subscription,
  SubscriptionOptions,
} from '../ports';
import {
  ack,
  claimNext,
  enqueue,
  listDeadLetters,
  nack,
  queueStats,
  readSubscription,
  releaseDeadLeases,
  requeueDeadLetter,
  type LeaseOwner,
  type QueueStats,
} from './message_queue';
import { startPolling, type PollLoop } from './poll_loop';
import { immediate, type Db } from './sqlite';

export type { QueueStats } from './message_queue';

// Pub/Sub's rule for topic and subscription ids, so a name that works here works there.
const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/;

const DEFAULT_MIN_BACKOFF_MS = 1000;
const DEFAULT_MAX_BACKOFF_MS = 60_000;

/**
 * Pub/Sub on SQLite. Each `subscribe` runs a dispatcher in this process that hands the handler one
 * message at a time: deterministic, and enough for a local stack; different subscriptions run side by
 * side. `orderingKey` is stored but not honoured: messages go out by visibility time, then publish
 * order, and a retried message does not hold back the ones behind it.
 */
export class LocalEventBus implements EventBus {
  private readonly lease: LeaseOwner;
  private readonly loops = new Set<PollLoop>();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly logger?: Logger,
  ) {
    const host = os.hostname();
    this.lease = { owner: `${host}/${process.pid}/${randomUUID()}`, host, pid: process.pid };
  }

  async ensureSubscription(topic: string, subscription: string, options: SubscriptionOptions = {}): Promise<void> {
    checkName('topic', topic);
    checkName('subscription', subscription);
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        throw invalid(`subscription option ${key} must be a positive integer, got ${value}`);
      }
    }
    immediate(this.db, () => {
      const existing = readSubscription(this.db, subscription);
      if (existing && existing.topic !== topic) {
        throw preconditionFailed(`subscription ${subscription} exists on topic ${existing.topic}, not ${topic}`);
      }
      // Options left out keep what the subscription has, or take the defaults when it is new.
      const row = {
        name: subscription,
        topic,
        max_delivery_attempts:
          options.maxDeliveryAttempts ?? existing?.max_delivery_attempts ?? this.config.eventMaxAttempts,
        ack_deadline_seconds:
          options.ackDeadlineSeconds ?? existing?.ack_deadline_seconds ?? this.config.ackDeadlineSeconds,
        min_backoff_ms: options.minBackoffMs ?? existing?.min_backoff_ms ?? DEFAULT_MIN_BACKOFF_MS,
        max_backoff_ms: options.maxBackoffMs ?? existing?.max_backoff_ms ?? DEFAULT_MAX_BACKOFF_MS,
      };
      if (row.min_backoff_ms > row.max_backoff_ms) {
        throw invalid(`minBackoffMs (${row.min_backoff_ms}) is above maxBackoffMs (${row.max_backoff_ms})`);
      }
      this.db
        .prepare(
          `INSERT INTO subscriptions (name, topic, max_delivery_attempts, ack_deadline_seconds, min_backoff_ms, max_backoff_ms)
           VALUES (@name, @topic, @max_delivery_attempts, @ack_deadline_seconds, @min_backoff_ms, @max_backoff_ms)
           ON CONFLICT (name) DO UPDATE SET
             max_delivery_attempts = excluded.max_delivery_attempts, ack_deadline_seconds = excluded.ack_deadline_seconds,
             min_backoff_ms = excluded.min_backoff_ms, max_backoff_ms = excluded.max_backoff_ms`,
        )
        .run(row);
    });
  }

  async publish(topic: string, data: unknown, options: PublishOptions = {}): Promise<string> {
    this.assertOpen();
    checkName('topic', topic);
    const json = JSON.stringify(data);
    if (json === undefined) throw invalid(`message data for ${topic} is not JSON-serialisable`);
    const attributes = options.attributes ?? {};
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value !== 'string') throw invalid(`attribute ${key} must be a string`);
    }
    const id = randomUUID();
    enqueue(
      this.db,
      { id, topic, data: json, attributes: JSON.stringify(attributes), orderingKey: options.orderingKey },
      Date.now(),
    );
    return id;
  }

  async subscribe(subscription: string, handler: MessageHandler): Promise<Subscription> {
    this.assertOpen();
    if (!readSubscription(this.db, subscription)) {
      throw notFound(`subscription ${subscription} does not exist; call ensureSubscription first`);
    }
    releaseDeadLeases(this.db, subscription, this.lease);
    const loop = startPolling(
      () => this.deliverNext(subscription, handler),
      this.config.pollMs,
      (err) => this.logger?.error({ subscription, err: errorMessage(err) }, 'event dispatcher step failed'),
    );
    this.loops.add(loop);
    return {
      close: async () => {
        this.loops.delete(loop);
        await loop.stop();
      },
    };
  }

  async deadLetters(subscription?: string): Promise<DeadLetter[]> {
    return listDeadLetters(this.db, subscription);
  }

  async redeliver(deadLetterId: string): Promise<void> {
    requeueDeadLetter(this.db, deadLetterId, Date.now());
  }

  /** Pending, in-flight and dead messages per subscription, for the admin API. */
  queueStats(): QueueStats[] {
    return queueStats(this.db, Date.now());
  }

  /** Stops every dispatcher, after the message each one is handling. Unacknowledged messages stay queued. */
  async close(): Promise<void> {
    this.closed = true;
    const loops = [...this.loops];
    this.loops.clear();
    await Promise.all(loops.map((loop) => loop.stop()));
  }

  private async deliverNext(subscription: string, handler: MessageHandler): Promise<boolean> {
    const sub = readSubscription(this.db, subscription);
    if (!sub) return false;
    releaseDeadLeases(this.db, subscription, this.lease);
    const message = claimNext(this.db, sub, this.lease, Date.now());
    if (!message) return false;
    try {
      await handler(message);
    } catch (err) {
      const outcome = nack(this.db, sub, message.id, this.lease, errorMessage(err), Date.now());
      const context = { subscription, messageId: message.id, deliveryAttempt: message.deliveryAttempt, err: errorMessage(err) };
      if (outcome === 'dead') this.logger?.error(context, 'message dead-lettered after its last delivery attempt');
      else this.logger?.warn(context, 'message handler failed; the message will be redelivered');
      return true;
    }
    ack(this.db, subscription, message.id);
    return true;
  }

  private assertOpen(): void {
    if (this.closed) throw preconditionFailed('the event bus is closed');
  }
}

function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw invalid(`invalid ${kind} name ${JSON.stringify(name)}: 3-255 of letters, digits and . _ ~ + % -, starting with a letter`);
  }
}
