import type { CloudEvent } from '@google-cloud/functions-framework';
import { scheduledRequest } from '../shared/pipeline/sources/scheduled_snapshot';

/** What a Pub/Sub-triggered function receives in `data` (google.cloud.pubsub.topic.v1.messagePublished). */
interface MessagePublishedData {
  message?: { data?: string; attributes?: Record<string, string>; messageId?: string; publishTime?: string };
  subscription?: string;
}

export type Decoded = { ok: true; data: unknown } | { ok: false; reason: string };

/** The JSON payload of a Pub/Sub CloudEvent: base64 in `message.data`. */
export function decodePubSub(event: CloudEvent<unknown>): Decoded {
  const payload = event.data as MessagePublishedData | undefined;
  const encoded = payload?.message?.data;
  if (typeof encoded !== 'string') return { ok: false, reason: 'no message.data in the Pub/Sub CloudEvent' };
  try {
    return { ok: true, data: JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) };
  } catch {
    return { ok: false, reason: 'message.data is not base64-encoded JSON' };
  }
}

/**
 * A training request from Pub/Sub: as published, or a BigQuery-sourced model's scheduled tick, which
 * becomes its request with the message's id and publish time (see pipeline/sources/scheduled_snapshot.ts).
 */
export function decodeTrainingRequest(event: CloudEvent<unknown>): Decoded {
  const decoded = decodePubSub(event);
  if (!decoded.ok) return decoded;
  const message = (event.data as MessagePublishedData).message ?? {};
  return { ok: true, data: scheduledRequest(decoded.data, { id: message.messageId, publishTime: message.publishTime }) };
}

/** StorageObjectData of an Eventarc `google.cloud.storage.object.v1.finalized` event. */
export function decodeStorage(event: CloudEvent<unknown>): Decoded {
  let data: unknown = event.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return { ok: false, reason: 'storage event data is not JSON' };
    }
  }
  if (!data || typeof data !== 'object') return { ok: false, reason: 'storage event has no data' };
  return { ok: true, data };
}

/** The LogEntry of an Eventarc `google.cloud.audit.log.v1.written` event: JSON in `data`. */
export function decodeAuditLog(event: CloudEvent<unknown>): Decoded {
  let data: unknown = event.data;
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    try {
      data = JSON.parse(data.toString());
    } catch {
      return { ok: false, reason: 'audit log event data is not JSON' };
    }
  }
  if (!data || typeof data !== 'object') return { ok: false, reason: 'audit log event has no data' };
  return { ok: true, data };
}
