import { ModelPromoted } from '../../core/events';
import { syncServing } from '../usecases/on_model_promoted';
import { handler } from './event_handler';

export const onModelPromoted = handler('onModelPromoted', ModelPromoted, syncServing);
