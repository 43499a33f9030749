import * as functions from '@google-cloud/functions-framework';
import { onModelPromoted } from '../shared/pipeline/events/on_model_promoted';
import { decodePubSub } from './cloud_events';
import { eventFunction } from './event_function';

/** Deployed from its own bundle (dist/functions/on_model_promoted.js): a cold start loads this handler's code only. */
functions.cloudEvent('onModelPromoted', eventFunction('onModelPromoted', decodePubSub, onModelPromoted));
