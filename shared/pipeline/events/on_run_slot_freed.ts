import { RunSlotFreed } from '../../core/events';
import { launchOnFreedSlot } from '../usecases/on_run_slot_freed';
import { handler } from './event_handler';

export const onRunSlotFreed = handler('onRunSlotFreed', RunSlotFreed, launchOnFreedSlot);
