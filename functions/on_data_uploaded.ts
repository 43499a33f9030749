import * as functions from '@google-cloud/functions-framework';
import { onDataUploaded } from '../shared/pipeline/events/on_data_uploaded';
import { decodeStorage } from './cloud_events';
import { eventFunction } from './event_function';

/** Deployed from its own bundle (dist/functions/on_data_uploaded.js): a cold start loads this handler's code only. */
functions.cloudEvent('onDataUploaded', eventFunction('onDataUploaded', decodeStorage, onDataUploaded));
