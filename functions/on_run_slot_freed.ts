import * as functions from '@google-cloud/functions-framework';
import { onRunSlotFreed } from '../shared/pipeline/events/on_run_slot_freed';
import { decodePubSub } from './cloud_events';
import { eventFunction } from './event_function';

/** The launcher's second trigger, from its own bundle (dist/functions/on_run_slot_freed.js). */
functions.cloudEvent('onRunSlotFreed', eventFunction('onRunSlotFreed', decodePubSub, onRunSlotFreed));
