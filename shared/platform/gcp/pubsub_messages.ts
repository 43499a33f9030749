import type { BusMessage, DeadLetter, SubscriptionOptions } from '../ports';

/**
 * What the Pub/Sub adapter adds to Pub/Sub's messages and subscriptions, and how it reads them back.
 * mloop's message id travels as an attribute, so that it survives Pub/Sub's own dead-lettering and a
 * redelivery, which both publish a new Pub/Sub message.
 */
export const ATTR = {
  id: 'mloop-message-id',
  publishTime: 'mloop-publish-time',
  redeliverTo: 'mloop-redeliver-to',
  deadSubscription: 'mloop-dead-letter-subscription',
  deliveryAttempts: 'mloop-delivery-attempts',
  lastError: 'mloop-last-error',
} as const;

/** The attributes Pub/Sub sets on a message it forwarded to a dead-letter topic. */
const PUBSUB_DEAD_LETTER = {
  subscription: 'CloudPubSubDeadLetterSourceSubscription',
  deliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
} as const;

const INTERNAL = new Set<string>(Object.values(ATTR));
// Pub/Sub limits an attribute value to 1024 bytes.
const MAX_ERROR_BYTES = 1000;

export const DEAD_LETTER_SUFFIX = '-dead-letter';
export const deadLetterTopicOf = (topic: string) => `${topic}${DEAD_LETTER_SUFFIX}`;

/** Resource names come back as `projects/<p>/<kind>/<id>`; mloop speaks ids. */
export const shortName = (name: string) => name.slice(name.lastIndexOf('/') + 1);

/** The settings the adapter applies itself, kept on the subscription as labels (see PubSubEventBus). */
export interface DeliverySettings {
  maxDeliveryAttempts: number;
  ackDeadlineSeconds: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

const LABELS = {
  maxDeliveryAttempts: 'mloop-max-delivery-attempts',
  minBackoffMs: 'mloop-min-backoff-ms',
  maxBackoffMs: 'mloop-max-backoff-ms',
} as const;

export function settingsLabels(settings: DeliverySettings): Record<string, string> {
  return {
    [LABELS.maxDeliveryAttempts]: String(settings.maxDeliveryAttempts),
    [LABELS.minBackoffMs]: String(settings.minBackoffMs),
    [LABELS.maxBackoffMs]: String(settings.maxBackoffMs),
  };
}

/** Options given win; then what the subscription has; then the defaults. */
export function resolveSettings(
  options: SubscriptionOptions,
  existing: { labels?: Record<string, string> | null; ackDeadlineSeconds?: number | null } | null,
  defaults: DeliverySettings,
): DeliverySettings {
  const label = (key: keyof typeof LABELS) => {
    const value = Number(existing?.labels?.[LABELS[key]]);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return {
    maxDeliveryAttempts: options.maxDeliveryAttempts ?? label('maxDeliveryAttempts') ?? defaults.maxDeliveryAttempts,
    ackDeadlineSeconds: options.ackDeadlineSeconds ?? existing?.ackDeadlineSeconds ?? defaults.ackDeadlineSeconds,
    minBackoffMs: options.minBackoffMs ?? label('minBackoffMs') ?? defaults.minBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? label('maxBackoffMs') ?? defaults.maxBackoffMs,
  };
}

export function backoffMs(settings: DeliverySettings, attempt: number): number {
  return Math.min(settings.maxBackoffMs, settings.minBackoffMs * 2 ** (attempt - 1));
}

export interface RawMessage {
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: Date;
}

/** The attributes the publisher set, without the adapter's and Pub/Sub's own. */
export function userAttributes(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => !INTERNAL.has(key) && !key.startsWith('CloudPubSubDeadLetter')));
}

export function parseData(data: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(data.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

export function toBusMessage(raw: RawMessage, topic: string, data: unknown, deliveryAttempt: number): BusMessage {
  return {
    id: raw.attributes[ATTR.id] ?? raw.id,
    topic,
    data,
    attributes: userAttributes(raw.attributes),
    publishTime: raw.attributes[ATTR.publishTime] ?? raw.publishTime.toISOString(),
    deliveryAttempt,
  };
}

/** The attributes of the copy the adapter publishes to the dead-letter topic after the last attempt. */
export function deadLetterAttributes(raw: RawMessage, subscription: string, attempts: number, error: string): Record<string, string> {
  const { [ATTR.redeliverTo]: _target, ...kept } = raw.attributes;
  return {
    ...kept,
    [ATTR.id]: raw.attributes[ATTR.id] ?? raw.id,
    [ATTR.publishTime]: raw.attributes[ATTR.publishTime] ?? raw.publishTime.toISOString(),
    [ATTR.deadSubscription]: subscription,
    [ATTR.deliveryAttempts]: String(attempts),
    [ATTR.lastError]: truncateUtf8(error, MAX_ERROR_BYTES),
  };
}

/** The attributes of a dead letter put back on its subscription, as first published, fresh. */
export function redeliveryAttributes(raw: RawMessage, subscription: string): Record<string, string> {
  return {
    ...userAttributes(raw.attributes),
    [ATTR.id]: raw.attributes[ATTR.id] ?? raw.id,
    [ATTR.publishTime]: raw.attributes[ATTR.publishTime] ?? raw.publishTime.toISOString(),
    [ATTR.redeliverTo]: subscription,
  };
}

/**
 * A message on a dead-letter topic, put there by the adapter (with the handler's last error) or by
 * Pub/Sub itself (a push endpoint that kept failing, a consumer that kept missing the ack deadline).
 */
export function toDeadLetter(raw: RawMessage, deadLetterTopic: string): DeadLetter {
  const a = raw.attributes;
  const attempts = Number(a[ATTR.deliveryAttempts] ?? a[PUBSUB_DEAD_LETTER.deliveryCount] ?? 0);
  const parsed = parseData(raw.data);
  return {
    id: raw.id,
    subscription: shortName(a[ATTR.deadSubscription] ?? a[PUBSUB_DEAD_LETTER.subscription] ?? ''),
    topic: deadLetterTopic.slice(0, -DEAD_LETTER_SUFFIX.length),
    data: parsed.ok ? parsed.value : raw.data.toString('utf8'),
    attributes: userAttributes(a),
    deliveryAttempts: attempts,
    lastError:
      a[ATTR.lastError] ??
      `Pub/Sub dead-lettered it after ${attempts} deliveries that were not acknowledged (a failing push endpoint, or consumers that missed the ack deadline)`,
    deadLetteredAt: raw.publishTime.toISOString(),
  };
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= maxBytes ? text : `${bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '')}…`;
}
