import { TrainingCompleted } from '../../core/events';
import { completeTraining } from '../usecases/on_training_completed';
import { handler } from './event_handler';

export const onTrainingCompleted = handler('onTrainingCompleted', TrainingCompleted, completeTraining);
