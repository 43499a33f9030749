import { TrainingRequested } from '../../core/events';
import { requestTraining } from '../usecases/on_training_requested';
import { handler } from './event_handler';

export const onTrainingRequested = handler('onTrainingRequested', TrainingRequested, requestTraining);
