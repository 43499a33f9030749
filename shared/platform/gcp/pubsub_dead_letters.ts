import type { protos, v1 } from '@google-cloud/pubsub';
import { GRPC, fromGrpc, grpcCode } from './errors';
import type { RawMessage } from './pubsub_messages';

type ReceivedMessage = protos.google.pubsub.v1.IReceivedMessage;

export interface HeldMessage {
  ackId: string;
  raw: RawMessage;
}

// How long a pull on a dead-letter subscription may wait for more messages before the reading ends.
const PULL_WAIT_MS = 1000;

/**
 * Reads the dead-letter subscription of a topic. Pub/Sub cannot list a subscription without taking
 * its messages, so a read pulls every message, lets the caller look at them (and acknowledge some),
 * and puts the rest back at once. Reads are serialised in this process; a read in another process at
 * the same moment may miss the messages this one holds.
 */
export class DeadLetterReader {
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly subscriber: v1.SubscriberClient,
    private readonly projectId: string,
  ) {}

  read<T>(deadTopic: string, use: (messages: HeldMessage[], ack: (ackId: string) => Promise<void>) => Promise<T>): Promise<T> {
    const run = this.last.then(async () => {
      const subscription = this.subscriber.subscriptionPath(this.projectId, deadTopic);
      const pulled = await this.pullAll(subscription);
      const acked = new Set<string>();
      try {
        return await use(
          pulled.map((m) => ({ ackId: m.ackId!, raw: rawOf(m) })),
          async (ackId) => {
            await this.subscriber.acknowledge({ subscription, ackIds: [ackId] });
            acked.add(ackId);
          },
        );
      } finally {
        const ackIds = pulled.map((m) => m.ackId!).filter((id) => !acked.has(id));
        if (ackIds.length) await this.subscriber.modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds: 0 });
      }
    });
    this.last = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the read under way has put its messages back. */
  async idle(): Promise<void> {
    await this.last;
  }

  private async pullAll(subscription: string): Promise<ReceivedMessage[]> {
    const byId = new Map<string, ReceivedMessage>();
    for (;;) {
      let received: ReceivedMessage[];
      try {
        const [response] = await this.subscriber.pull({ subscription, maxMessages: 1000 }, { timeout: PULL_WAIT_MS });
        received = response.receivedMessages ?? [];
      } catch (err) {
        const code = grpcCode(err);
        if (code === GRPC.DEADLINE_EXCEEDED) break;
        if (code === GRPC.NOT_FOUND) return [];
        throw fromGrpc(err, `reading dead letters from ${subscription}`);
      }
      if (received.length === 0) break;
      for (const message of received) byId.set(message.message?.messageId ?? message.ackId!, message);
    }
    return [...byId.values()];
  }
}

function rawOf(received: ReceivedMessage): RawMessage {
  const message = received.message ?? {};
  const seconds = Number(message.publishTime?.seconds ?? 0);
  const nanos = Number(message.publishTime?.nanos ?? 0);
  return {
    id: message.messageId ?? '',
    data: Buffer.from(message.data ?? []),
    attributes: { ...(message.attributes ?? {}) },
    publishTime: new Date(seconds * 1000 + Math.floor(nanos / 1e6)),
  };
}
