import type { Message, Subscription as PubSubSubscription } from '@google-cloud/pubsub';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { MessageHandler, Subscription } from '../ports';
import { ATTR, backoffMs, parseData, toBusMessage, type DeliverySettings, type RawMessage } from './pubsub_messages';

export type DeadLetterSink = (raw: RawMessage, attempts: number, error: string) => Promise<void>;

/**
 * One `subscribe`: a streaming pull whose messages go to the handler, acknowledged when it resolves.
 * A failure is retried with exponential backoff — the adapter holds the message (the client library
 * keeps extending its lease) for the backoff, then nacks it for immediate redelivery — and on the
 * last allowed attempt it goes to the dead-letter topic with the handler's error.
 */
export class PubSubConsumer implements Subscription {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly backingOff = new Map<Message, NodeJS.Timeout>();
  private closing = false;

  constructor(
    private readonly subscription: PubSubSubscription,
    private readonly name: string,
    private readonly topic: string,
    private readonly settings: DeliverySettings,
    private readonly handler: MessageHandler,
    private readonly deadLetter: DeadLetterSink,
    private readonly logger?: Logger,
  ) {
    subscription.on('message', (message: Message) => this.receive(message));
    subscription.on('error', (err: Error) => this.logger?.error({ subscription: name, err: errorMessage(err) }, 'Pub/Sub streaming pull failed'));
  }

  /** Lets the handlers under way finish (their acks count), puts every other message back, then stops. */
  async close(): Promise<void> {
    this.closing = true;
    this.releaseBackingOff();
    await Promise.allSettled([...this.inFlight]);
    this.releaseBackingOff();
    await this.subscription.close();
    this.subscription.removeAllListeners();
  }

  private receive(message: Message): void {
    if (this.closing) {
      message.nack();
      return;
    }
    // A redelivered dead letter is published to the topic, so every subscription of it sees a copy:
    // only the one it was dead-lettered from handles it.
    const target = message.attributes[ATTR.redeliverTo];
    if (target && target !== this.name) {
      message.ack();
      return;
    }
    const task = this.handle(message).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async handle(message: Message): Promise<void> {
    // Pub/Sub counts deliveries only on subscriptions with a dead-letter policy, which ours all have.
    const attempt = Math.max(1, message.deliveryAttempt || 0);
    const raw: RawMessage = { id: message.id, data: message.data, attributes: message.attributes, publishTime: message.publishTime };
    const data = parseData(message.data);
    try {
      if (!data.ok) throw new Error('message data is not JSON');
      await this.handler(toBusMessage(raw, this.topic, data.value, attempt));
    } catch (err) {
      await this.failed(message, raw, attempt, data.ok ? errorMessage(err) : 'message data is not JSON: it can never be handled');
      return;
    }
    message.ack();
  }

  private async failed(message: Message, raw: RawMessage, attempt: number, error: string): Promise<void> {
    const context = { subscription: this.name, messageId: message.id, deliveryAttempt: attempt, err: error };
    if (attempt >= this.settings.maxDeliveryAttempts) {
      try {
        await this.deadLetter(raw, attempt, error);
      } catch (err) {
        // Not acknowledged: Pub/Sub delivers it again, and its own dead-letter policy takes over.
        this.logger?.error({ ...context, deadLetterError: errorMessage(err) }, 'could not dead-letter a message; it will be redelivered');
        message.nack();
        return;
      }
      message.ack();
      this.logger?.error(context, 'message dead-lettered after its last delivery attempt');
      return;
    }
    this.logger?.warn(context, 'message handler failed; the message will be redelivered');
    if (this.closing) {
      message.nack();
      return;
    }
    const timer = setTimeout(() => {
      this.backingOff.delete(message);
      message.nack();
    }, backoffMs(this.settings, attempt));
    this.backingOff.set(message, timer);
  }

  private releaseBackingOff(): void {
    for (const [message, timer] of this.backingOff) {
      clearTimeout(timer);
      message.nack();
    }
    this.backingOff.clear();
  }
}
