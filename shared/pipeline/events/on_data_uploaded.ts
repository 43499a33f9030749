import { ObjectFinalized } from '../../core/events';
import { ingestFeedbackFile, isFeedbackObject } from '../usecases/feedback';
import { ingestObject } from '../usecases/on_data_uploaded';
import { handler } from './event_handler';

/** Datasets and label files land in the same bucket; the object name says which is which. */
export const onDataUploaded = handler('onDataUploaded', ObjectFinalized, (ctx, event) =>
  isFeedbackObject(event.name) ? ingestFeedbackFile(ctx, event) : ingestObject(ctx, event),
);
