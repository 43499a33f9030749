import type { z } from 'zod';
import { errorMessage, isPermanent } from '../core/errors';
import { DriftDetected, MonitoringTick, ObjectFinalized, RunSlotFreed, TOPICS, TrainingCompleted, TrainingRequested } from '../core/events';
import type { Context } from './context';
import { ingestFeedbackFile, isFeedbackObject } from './usecases/feedback';
import { ingestObject } from './usecases/on_data_uploaded';
import { requestTraining } from './usecases/on_training_requested';
import { runMonitoringTick } from './usecases/on_monitoring_tick';
import { completeTraining } from './usecases/on_training_completed';
import { requestRetraining } from './usecases/on_drift_detected';
import { launchOnFreedSlot } from './usecases/on_run_slot_freed';

/**
 * The event handlers, shared by the Cloud Functions and the local stack. One policy for all of them:
 * a payload that does not parse, or an error that retrying cannot fix, is logged and acknowledged
 * (never retried forever); anything else is thrown, so the bus redelivers with backoff and finally
 * dead-letters it.
 */
function handler<S extends z.ZodType>(name: string, schema: S, useCase: (ctx: Context, event: z.infer<S>) => Promise<unknown>) {
  return async (ctx: Context, data: unknown): Promise<void> => {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      ctx.log.warn({ handler: name, issues: parsed.error.issues.slice(0, 5) }, `${name}: malformed event acknowledged`);
      return;
    }
    try {
      const result = await useCase(ctx, parsed.data);
      ctx.log.debug({ handler: name, result }, `${name} done`);
    } catch (err) {
      if (isPermanent(err)) {
        ctx.log.error({ handler: name, err: errorMessage(err) }, `${name}: event acknowledged after a permanent error`);
        return;
      }
      throw err;
    }
  };
}

/** Datasets and label files land in the same bucket; the object name says which is which. */
export const onDataUploaded = handler('onDataUploaded', ObjectFinalized, (ctx, event) =>
  isFeedbackObject(event.name) ? ingestFeedbackFile(ctx, event) : ingestObject(ctx, event),
);
export const onTrainingRequested = handler('onTrainingRequested', TrainingRequested, requestTraining);
export const onTrainingCompleted = handler('onTrainingCompleted', TrainingCompleted, completeTraining);
export const onMonitoringTick = handler('onMonitoringTick', MonitoringTick, runMonitoringTick);
export const onDriftDetected = handler('onDriftDetected', DriftDetected, requestRetraining);
export const onRunSlotFreed = handler('onRunSlotFreed', RunSlotFreed, launchOnFreedSlot);

/** Which handler consumes which topic, and under which subscription name. */
export const SUBSCRIPTIONS = [
  { topic: TOPICS.objectFinalized, subscription: 'on-data-uploaded', handle: onDataUploaded },
  { topic: TOPICS.trainingRequested, subscription: 'on-training-requested', handle: onTrainingRequested },
  { topic: TOPICS.trainingCompleted, subscription: 'on-training-completed', handle: onTrainingCompleted },
  { topic: TOPICS.monitoringTick, subscription: 'on-monitoring-tick', handle: onMonitoringTick },
  { topic: TOPICS.driftDetected, subscription: 'on-drift-detected', handle: onDriftDetected },
  { topic: TOPICS.runSlotFreed, subscription: 'on-run-slot-freed', handle: onRunSlotFreed },
] as const;
