import * as functions from '@google-cloud/functions-framework';
import { onMonitoringTick } from '../shared/pipeline/events/on_monitoring_tick';
import { decodePubSub } from './cloud_events';
import { eventFunction } from './event_function';

/** Deployed from its own bundle (dist/functions/on_monitoring_tick.js): a cold start loads this handler's code only. */
functions.cloudEvent('onMonitoringTick', eventFunction('onMonitoringTick', decodePubSub, onMonitoringTick));
