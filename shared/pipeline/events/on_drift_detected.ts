import { DriftDetected } from '../../core/events';
import { requestRetraining } from '../usecases/on_drift_detected';
import { handler } from './event_handler';

export const onDriftDetected = handler('onDriftDetected', DriftDetected, requestRetraining);
