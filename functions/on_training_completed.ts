import * as functions from '@google-cloud/functions-framework';
import { onTrainingCompleted } from '../shared/pipeline/events/on_training_completed';
import { decodePubSub } from './cloud_events';
import { eventFunction } from './event_function';

/** Deployed from its own bundle (dist/functions/on_training_completed.js): a cold start loads this handler's code only. */
functions.cloudEvent('onTrainingCompleted', eventFunction('onTrainingCompleted', decodePubSub, onTrainingCompleted));
