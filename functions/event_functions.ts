import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Context } from '../shared/pipeline/context';
import { onDataUploaded, onDriftDetected, onMonitoringTick, onTrainingCompleted, onTrainingRequested } from '../shared/pipeline/handlers';
import { decodePubSub, decodeStorage, type Decoded } from './cloud_events';
import { functionContext } from './runtime';

type Handler = (ctx: Context, data: unknown) => Promise<void>;

/**
 * A CloudEvent function: decode the envelope, hand the payload to the shared handler. An envelope that
 * cannot be decoded is logged and acknowledged: redelivering it would fail the same way forever.
 */
function eventFunction(name: string, decode: (event: CloudEvent<unknown>) => Decoded, handle: Handler) {
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

export const onDataUploadedFunction = eventFunction('onDataUploaded', decodeStorage, onDataUploaded);
export const onTrainingRequestedFunction = eventFunction('onTrainingRequested', decodePubSub, onTrainingRequested);
export const onTrainingCompletedFunction = eventFunction('onTrainingCompleted', decodePubSub, onTrainingCompleted);
export const onMonitoringTickFunction = eventFunction('onMonitoringTick', decodePubSub, onMonitoringTick);
export const onDriftDetectedFunction = eventFunction('onDriftDetected', decodePubSub, onDriftDetected);
