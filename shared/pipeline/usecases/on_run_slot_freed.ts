import { TOPICS, type RunSlotFreed } from '../../core/events';
import type { Context } from '../context';
import { launchQueuedRuns } from './launch_queued_runs';
import { stopCancelledExecution } from './stop_cancelled_execution';

/**
 * onRunSlotFreed: the launcher's second trigger. Whoever ends a run (the completion, the reconciler)
 * only says so; starting the next queued run, and stopping a cancelled run's job, is the launcher's
 * alone, under its own identity and parallel limit, whatever process noticed the free slot.
 */
export async function launchOnFreedSlot(ctx: Context, event: RunSlotFreed): Promise<string[]> {
  // A cancel said where the slot came from: its job is stopped here, where stopping jobs is allowed.
  if (event.run_id) await stopCancelledExecution(ctx, event.run_id);
  return launchQueuedRuns(ctx);
}

export async function announceFreedSlot(ctx: Context, reason: string, run?: { id: string; model: string }): Promise<void> {
  const event: RunSlotFreed = { reason, freed_at: ctx.platform.clock.now().toISOString(), ...(run && { run_id: run.id, model: run.model }) };
  await ctx.platform.bus.publish(TOPICS.runSlotFreed, event, run ? { attributes: { model: run.model } } : undefined);
}
