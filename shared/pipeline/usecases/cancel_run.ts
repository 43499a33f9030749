import { MloopError } from '../../core/errors';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { RunDoc } from '../store/documents';
import { runUsage } from '../training/run_usage';
import { announceFreedSlot } from './on_run_slot_freed';
import { hasLiveExecution, stopCancelledExecution } from './stop_cancelled_execution';
import type { Actor } from './registry_transitions';

export interface CancelOptions {
  /**
   * Stop the job here (`mloop up`, the CLI on this machine), or leave it to the launcher, which holds
   * the right to stop executions on Google Cloud and does it when told the slot is free.
   */
  stopExecution: boolean;
}

/**
 * A person stops a run: it ends `cancelled` with who and why, in one transaction, before its job is
 * stopped, so that neither the reconciler (which only looks at running runs) nor a late completion
 * can bring it back. A queued run simply leaves the queue; a running one frees its slot for the next.
 * Cancelling a finished run is refused with its status; cancelling a cancelled run whose job is not
 * known to be stopped tries to stop it again.
 */
export async function cancelRun(ctx: Context, runId: string, actor: Actor, options: CancelOptions): Promise<RunDoc> {
  const now = ctx.platform.clock.now();
  const outcome = await storeOf(ctx).inTransaction(async (tx) => {
    const run = await tx.runs.get(runId);
    if (!run) throw new MloopError('not_found', `there is no run ${runId}`);
    if (run.status === 'cancelled' && hasLiveExecution(run)) return { run, wasRunning: true, changed: false };
    if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') {
      throw new MloopError('failed_precondition', `run ${runId} already ${run.status}: only a queued or running run can be cancelled`, { status: run.status });
    }
    const patch: Partial<RunDoc> = {
      status: 'cancelled',
      cancelled_by: actor.by,
      cancelled_at: now.toISOString(),
      cancel_reason: actor.reason,
      finished_at: now.toISOString(),
      ...(run.status === 'running' ? runUsage(ctx.config, run, now) : {}),
    };
    tx.runs.update(runId, patch);
    return { run: { ...run, ...patch }, wasRunning: run.status === 'running', changed: true };
  });
  if (outcome.changed) {
    ctx.log.info({ run_id: runId, by: actor.by, reason: actor.reason, was: outcome.wasRunning ? 'running' : 'queued' }, 'run cancelled');
  }
  if (!outcome.wasRunning) return outcome.run;
  if (options.stopExecution) await stopCancelledExecution(ctx, runId);
  // The launcher stops the job (when not stopped here) and starts the next queued run in the freed slot.
  await announceFreedSlot(ctx, `run ${runId} cancelled`, outcome.run);
  return (await storeOf(ctx).runs.get(runId)) ?? outcome.run;
}
