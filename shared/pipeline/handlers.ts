import { TOPICS } from '../core/events';
import { onDataUploaded } from './events/on_data_uploaded';
import { onDriftDetected } from './events/on_drift_detected';
import { onModelPromoted } from './events/on_model_promoted';
import { onMonitoringTick } from './events/on_monitoring_tick';
import { onRunSlotFreed } from './events/on_run_slot_freed';
import { onTrainingCompleted } from './events/on_training_completed';
import { onTrainingRequested } from './events/on_training_requested';

/**
 * The event handlers, shared by the Cloud Functions and the local stack, one file each under events/
 * so that a function's bundle holds only its own (see functions/).
 */
export { onDataUploaded, onDriftDetected, onModelPromoted, onMonitoringTick, onRunSlotFreed, onTrainingCompleted, onTrainingRequested };

/** Which handler consumes which topic, and under which subscription name. */
export const SUBSCRIPTIONS = [
  { topic: TOPICS.objectFinalized, subscription: 'on-data-uploaded', handle: onDataUploaded },
  { topic: TOPICS.trainingRequested, subscription: 'on-training-requested', handle: onTrainingRequested },
  { topic: TOPICS.trainingCompleted, subscription: 'on-training-completed', handle: onTrainingCompleted },
  { topic: TOPICS.monitoringTick, subscription: 'on-monitoring-tick', handle: onMonitoringTick },
  { topic: TOPICS.driftDetected, subscription: 'on-drift-detected', handle: onDriftDetected },
  { topic: TOPICS.modelPromoted, subscription: 'on-model-promoted', handle: onModelPromoted },
  { topic: TOPICS.runSlotFreed, subscription: 'on-run-slot-freed', handle: onRunSlotFreed },
] as const;
