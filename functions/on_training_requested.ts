import * as functions from '@google-cloud/functions-framework';
import { onTrainingRequested } from '../shared/pipeline/events/on_training_requested';
import { decodeTrainingRequest } from './cloud_events';
import { eventFunction } from './event_function';

/** Deployed from its own bundle (dist/functions/on_training_requested.js): a cold start loads this handler's code only. */
functions.cloudEvent('onTrainingRequested', eventFunction('onTrainingRequested', decodeTrainingRequest, onTrainingRequested));
