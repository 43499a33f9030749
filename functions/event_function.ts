import type { CloudEvent } from '@google-cloud/functions-framework';
import type { EventHandler } from '../shared/pipeline/events/event_handler';
import type { Decoded } from './cloud_events';
import { functionContext } from './runtime';

/**
 * A CloudEvent function: decode the envelope, hand the payload to the shared handler. An envelope that
 * cannot be decoded is logged and acknowledged: redelivering it would fail the same way forever.
 */
export function eventFunction(name: string, decode: (event: CloudEvent<unknown>) => Decoded, handle: EventHandler) {
  return async (event: CloudEvent<unknown>): Promise<void> => {
    const ctx = functionContext();
    const decoded = decode(event);
    if (!decoded.ok) {
      ctx.log.warn({ function: name, event_id: event.id, type: event.type, reason: decoded.reason }, `${name}: malformed event acknowledged`);
      return;
    }
    await handle(ctx, decoded.data);
  };
}
