import { TrainingRequested } from '../../core/events';
import { requestTrainingFromSource } from '../usecases/source_request';
import { handler } from './event_handler';

export const onTrainingRequested = handler('onTrainingRequested', TrainingRequested, requestTrainingFromSource);
