import * as functions from '@google-cloud/functions-framework';
import { onTableChanged } from '../shared/pipeline/events/on_table_changed';
import { decodeAuditLog } from './cloud_events';
import { eventFunction } from './event_function';

/**
 * Eventarc's `google.cloud.audit.log.v1.written` for BigQuery jobs (terraform/bigquery.tf): a table's
 * rows changed, and the models reading it get a new snapshot. Deployed from its own bundle.
 */
functions.cloudEvent('onTableChanged', eventFunction('onTableChanged', decodeAuditLog, onTableChanged));
