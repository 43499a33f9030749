import { AuditLogEntry } from '../sources/audit_log';
import { requestSnapshotsForChange } from '../usecases/on_table_changed';
import { handler } from './event_handler';

export const onTableChanged = handler('onTableChanged', AuditLogEntry, requestSnapshotsForChange);
