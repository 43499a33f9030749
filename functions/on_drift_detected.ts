import * as functions from '@google-cloud/functions-framework';
import { onDriftDetected } from '../shared/pipeline/events/on_drift_detected';
import { decodePubSub } from './cloud_events';
import { eventFunction } from './event_function';

/** Deployed from its own bundle (dist/functions/on_drift_detected.js): a cold start loads this handler's code only. */
functions.cloudEvent('onDriftDetected', eventFunction('onDriftDetected', decodePubSub, onDriftDetected));
