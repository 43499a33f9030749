import { randomUUID } from 'node:crypto';
import { PubSub, v1, type Topic } from '@google-cloud/pubsub';
import type { protos } from '@google-cloud/pubsub';
import { invalid, notFound, preconditionFailed } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { DeadLetter, EventBus, MessageHandler, PublishOptions, Subscription, SubscriptionOptions } from '../ports';
import { GRPC, fromGrpc, grpcCode } from './errors';
import { OFFLINE } from './offline';
import { PubSubConsumer } from './pubsub_consumer';
import { DeadLetterReader } from './pubsub_dead_letters';
import {
  ATTR,
  DEAD_LETTER_SUFFIX,
  deadLetterAttributes,
  deadLetterTopicOf,
  redeliveryAttributes,
  resolveSettings,
  settingsLabels,
  shortName,
  toDeadLetter,
  type DeliverySettings,
} from './pubsub_messages';

type SubscriptionResource = protos.google.pubsub.v1.ISubscription;

// Pub/Sub's rule for topic and subscription ids.
const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/;
// Pub/Sub's ranges for a subscription's ack deadline and its dead-letter policy's attempts.
const ACK_DEADLINE = { min: 10, max: 600 };
const PUBSUB_ATTEMPTS = { min: 5, max: 100 };
const DEFAULT_BACKOFF = { minBackoffMs: 1000, maxBackoffMs: 60_000 };
const SEVEN_DAYS = { seconds: 7 * 24 * 3600 };
const MAX_IN_FLIGHT = 10;

export interface PubSubEventBusOptions {
  projectId: string;
  /** host:port of an emulator; unset means Google's Pub/Sub. */
  emulatorHost?: string;
  defaults: Pick<DeliverySettings, 'maxDeliveryAttempts' | 'ackDeadlineSeconds'>;
  logger?: Logger;
}

/**
 * Pub/Sub. Every subscription made here has a dead-letter topic `<topic>-dead-letter`, with a
 * subscription of the same name that keeps the dead letters visible (`deadLetters`) until redelivered.
 *
 * Retries are the adapter's own work, not a Pub/Sub retry policy: a failed message is held for its
 * backoff, then nacked for immediate redelivery, and after the last attempt published to the
 * dead-letter topic with the handler's error, which Pub/Sub's own forwarding would not carry. The
 * emulator the tests run on ignores a retry policy's backoffs (it redelivers at once, then every
 * couple of seconds), and a retry policy on top of the adapter's backoff would double every delay on
 * Google's Pub/Sub; so the subscription has none, and its labels record the adapter's settings for
 * every process that subscribes. Pub/Sub's dead-letter policy stays on as the backstop for messages
 * no consumer acknowledges in time (consumers that die), with at least the 5 attempts it requires.
 */
export class PubSubEventBus implements EventBus {
  private readonly pubsub: PubSub;
  private readonly subscriber: v1.SubscriberClient;
  private readonly projectId: string;
  private readonly topics = new Map<string, Topic>();
  private readonly consumers = new Set<PubSubConsumer>();
  private readonly deadLetterReader: DeadLetterReader;
  private closed = false;

  constructor(private readonly options: PubSubEventBusOptions) {
    this.projectId = options.projectId;
    this.pubsub = new PubSub({
      projectId: options.projectId,
      ...(options.emulatorHost && { apiEndpoint: options.emulatorHost, emulatorMode: true, ...OFFLINE }),
    });
    // The options PubSub derived for its own gRPC clients (endpoint, emulator credentials), as it uses them.
    this.subscriber = new v1.SubscriberClient(this.pubsub.options as ConstructorParameters<typeof v1.SubscriberClient>[0]);
    this.deadLetterReader = new DeadLetterReader(this.subscriber, options.projectId);
  }

  async ensureSubscription(topic: string, subscription: string, options: SubscriptionOptions = {}): Promise<void> {
    this.assertOpen();
    checkName('topic', topic);
    checkName('subscription', subscription);
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        throw invalid(`subscription option ${key} must be a positive integer, got ${value}`);
      }
    }
    const deadTopic = deadLetterTopicOf(topic);
    checkName('dead-letter topic', deadTopic);
    await this.createTopic(topic);
    await this.createTopic(deadTopic);
    await this.createDeadLetterSubscription(deadTopic);

    const existing = await this.metadata(subscription);
    if (existing && shortName(existing.topic ?? '') !== topic) {
      throw preconditionFailed(`subscription ${subscription} exists on topic ${shortName(existing.topic ?? '')}, not ${topic}`);
    }
    const settings = resolveSettings(options, existing, { ...DEFAULT_BACKOFF, ...this.options.defaults });
    if (settings.minBackoffMs > settings.maxBackoffMs) {
      throw invalid(`minBackoffMs (${settings.minBackoffMs}) is above maxBackoffMs (${settings.maxBackoffMs})`);
    }
    const wanted = {
      ackDeadlineSeconds: clamp(settings.ackDeadlineSeconds, ACK_DEADLINE),
      deadLetterPolicy: {
        deadLetterTopic: this.pubsub.topic(deadTopic).name,
        maxDeliveryAttempts: clamp(settings.maxDeliveryAttempts, PUBSUB_ATTEMPTS),
      },
      labels: settingsLabels(settings),
    };
    if (!existing) {
      try {
        await this.pubsub.topic(topic).createSubscription(subscription, { ...wanted, expirationPolicy: {}, messageRetentionDuration: SEVEN_DAYS });
        return;
      } catch (err) {
        if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw fromGrpc(err, `creating subscription ${subscription}`);
      }
    }
    await this.update(subscription, wanted, existing ?? (await this.metadata(subscription)));
  }

  async publish(topic: string, data: unknown, options: PublishOptions = {}): Promise<string> {
    this.assertOpen();
    checkName('topic', topic);
    const json = JSON.stringify(data);
    if (json === undefined) throw invalid(`message data for ${topic} is not JSON-serialisable`);
    for (const [key, value] of Object.entries(options.attributes ?? {})) {
      if (typeof value !== 'string') throw invalid(`attribute ${key} must be a string`);
    }
    const id = randomUUID();
    await this.publishRaw(topic, Buffer.from(json), { ...options.attributes, [ATTR.id]: id }, options.orderingKey);
    return id;
  }

  async subscribe(subscription: string, handler: MessageHandler): Promise<Subscription> {
    this.assertOpen();
    checkName('subscription', subscription);
    const existing = await this.metadata(subscription);
    if (!existing) throw notFound(`subscription ${subscription} does not exist; call ensureSubscription first`);
    const topic = shortName(existing.topic ?? '');
    const settings = resolveSettings({}, existing, { ...DEFAULT_BACKOFF, ...this.options.defaults });
    const pull = this.pubsub.subscription(subscription, { flowControl: { maxMessages: MAX_IN_FLIGHT, allowExcessMessages: false } });
    const consumer = new PubSubConsumer(
      pull,
      subscription,
      topic,
      settings,
      handler,
      (raw, attempts, error) => this.publishRaw(deadLetterTopicOf(topic), raw.data, deadLetterAttributes(raw, subscription, attempts, error)).then(() => undefined),
      this.options.logger,
    );
    this.consumers.add(consumer);
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.close();
      },
    };
  }

  async deadLetters(subscription?: string): Promise<DeadLetter[]> {
    const deadTopics = subscription === undefined ? await this.deadLetterTopics() : await this.deadLetterTopicFor(subscription);
    const found: DeadLetter[] = [];
    for (const deadTopic of deadTopics) {
      const letters = await this.deadLetterReader.read(deadTopic, async (messages) => messages.map((m) => toDeadLetter(m.raw, deadTopic)));
      found.push(...letters.filter((letter) => subscription === undefined || letter.subscription === subscription));
    }
    return found.sort((a, b) => a.deadLetteredAt.localeCompare(b.deadLetteredAt) || a.id.localeCompare(b.id));
  }

  /**
   * Publishes the dead letter to its topic again, marked for the subscription it was dead-lettered
   * from: the adapter's other subscriptions of the topic drop it, and push subscriptions, whose
   * handlers are idempotent, handle it once more. Then it leaves the dead-letter subscription.
   */
  async redeliver(deadLetterId: string): Promise<void> {
    this.assertOpen();
    for (const deadTopic of await this.deadLetterTopics()) {
      const done = await this.deadLetterReader.read(deadTopic, async (messages, ack) => {
        const match = messages.find((m) => m.raw.id === deadLetterId);
        if (!match) return false;
        const letter = toDeadLetter(match.raw, deadTopic);
        await this.publishRaw(letter.topic, match.raw.data, redeliveryAttributes(match.raw, letter.subscription));
        await ack(match.ackId);
        return true;
      });
      if (done) return;
    }
    throw notFound(`no dead letter ${deadLetterId}`);
  }

  /** Stops every consumer (after the handlers under way) and the clients. Unacknowledged messages stay in Pub/Sub. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    this.consumers.clear();
    await Promise.all([...this.topics.values()].map((topic) => topic.flush()));
    await this.deadLetterReader.idle();
    await this.subscriber.close();
    await this.pubsub.close();
  }

  private async publishRaw(topic: string, data: Buffer, attributes: Record<string, string>, orderingKey?: string): Promise<string> {
    const handle = this.topic(topic);
    const send = () => handle.publishMessage({ data, attributes, ...(orderingKey && { orderingKey }) });
    try {
      return await send();
    } catch (err) {
      // An ordering key stays paused after a failed publish until it is resumed.
      if (orderingKey) handle.resumePublishing(orderingKey);
      if (grpcCode(err) !== GRPC.NOT_FOUND) throw fromGrpc(err, `publishing to ${topic}`);
    }
    // No topic means no subscription: the message is created for nobody, as for a topic without any.
    await this.createTopic(topic);
    try {
      return await send();
    } catch (err) {
      if (orderingKey) handle.resumePublishing(orderingKey);
      throw fromGrpc(err, `publishing to ${topic}`);
    }
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = this.pubsub.topic(name, { messageOrdering: true, batching: { maxMilliseconds: 5 } });
      this.topics.set(name, topic);
    }
    return topic;
  }

  private async createTopic(name: string): Promise<void> {
    try {
      await this.pubsub.createTopic(name);
    } catch (err) {
      if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw fromGrpc(err, `creating topic ${name}`);
    }
  }

  /** Kept a week and never expiring, like the rest of the dead letters' home in Terraform. */
  private async createDeadLetterSubscription(deadTopic: string): Promise<void> {
    try {
      await this.pubsub.topic(deadTopic).createSubscription(deadTopic, { ackDeadlineSeconds: 60, expirationPolicy: {}, messageRetentionDuration: SEVEN_DAYS });
    } catch (err) {
      if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw fromGrpc(err, `creating subscription ${deadTopic}`);
    }
  }

  private async metadata(subscription: string): Promise<SubscriptionResource | null> {
    try {
      const [metadata] = await this.pubsub.subscription(subscription).getMetadata();
      return metadata;
    } catch (err) {
      if (grpcCode(err) === GRPC.NOT_FOUND) return null;
      throw fromGrpc(err, `reading subscription ${subscription}`);
    }
  }

  private async update(
    subscription: string,
    wanted: { ackDeadlineSeconds: number; deadLetterPolicy: { deadLetterTopic: string; maxDeliveryAttempts: number }; labels: Record<string, string> },
    existing: SubscriptionResource | null,
  ): Promise<void> {
    const paths: string[] = [];
    if (existing?.ackDeadlineSeconds !== wanted.ackDeadlineSeconds) paths.push('ack_deadline_seconds');
    const policy = existing?.deadLetterPolicy;
    if (policy?.deadLetterTopic !== wanted.deadLetterPolicy.deadLetterTopic || policy?.maxDeliveryAttempts !== wanted.deadLetterPolicy.maxDeliveryAttempts) {
      paths.push('dead_letter_policy');
    }
    if (Object.entries(wanted.labels).some(([key, value]) => existing?.labels?.[key] !== value)) paths.push('labels');
    if (paths.length === 0) return;
    const name = this.subscriber.subscriptionPath(this.projectId, subscription);
    try {
      await this.subscriber.updateSubscription({
        subscription: { name, ...wanted, labels: { ...existing?.labels, ...wanted.labels } },
        updateMask: { paths },
      });
    } catch (err) {
      throw fromGrpc(err, `updating subscription ${subscription}`);
    }
  }

  private async deadLetterTopics(): Promise<string[]> {
    try {
      const [topics] = await this.pubsub.getTopics({ autoPaginate: true });
      return topics.map((topic) => shortName(topic.name)).filter((name) => name.endsWith(DEAD_LETTER_SUFFIX));
    } catch (err) {
      throw fromGrpc(err, 'listing topics');
    }
  }

  private async deadLetterTopicFor(subscription: string): Promise<string[]> {
    const existing = await this.metadata(subscription);
    return existing?.topic ? [deadLetterTopicOf(shortName(existing.topic))] : [];
  }

  private assertOpen(): void {
    if (this.closed) throw preconditionFailed('the event bus is closed');
  }
}

function clamp(value: number, range: { min: number; max: number }): number {
  return Math.min(range.max, Math.max(range.min, value));
}

function checkName(kind: string, name: string): void {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw invalid(`invalid ${kind} name ${JSON.stringify(name)}: 3-255 of letters, digits and . _ ~ + % -, starting with a letter`);
  }
}
