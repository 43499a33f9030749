import { errorMessage } from '../../core/errors';
import type { Context } from '../context';
import type { RunDoc } from '../store/documents';
import { storeOf } from '../store';
import { announceFreedSlot } from './on_run_slot_freed';
import { runUsage } from '../training/run_usage';

/** A claim whose launch never got recorded is abandoned after this long (the dispatcher died). */
const CLAIM_GRACE_MS = 60_000;

export interface ReconcileResult {
  retried: string[];
  failed: string[];
}

/**
 * Makes sure no run stays "running" after its job is gone: a job that died without reporting is
 * retried as a new attempt of the same run, up to `max_attempts`, then the run fails with the cause.
 * A job that reported (its training-completed event is on its way) is left to that event.
 */
export async function reconcileRuns(ctx: Context): Promise<ReconcileResult> {
  const { jobs, clock } = ctx.platform;
  const result: ReconcileResult = { retried: [], failed: [] };
  for (const run of await storeOf(ctx).runs.running()) {
    if (run.reported_attempt === run.attempt) continue;
    let cause: string | null = null;
    if (!run.execution_id) {
      const claimedAt = run.claimed_at ? Date.parse(run.claimed_at) : 0;
      if (clock.now().getTime() - claimedAt > CLAIM_GRACE_MS) cause = 'the job was never launched';
    } else {
      const execution = await jobs.status(run.execution_id);
      if (!execution) cause = `execution ${run.execution_id} is unknown to the job launcher`;
      else if (execution.state !== 'running') cause = `execution ${execution.id} ${execution.state}: ${execution.error ?? 'exited without reporting'}`;
    }
    if (!cause) continue;
    const outcome = await retryOrFail(ctx, run, cause);
    if (outcome) result[outcome].push(run.id);
  }
  // Retried runs are queued again, failed ones free their slot, and a launch lost in a crash leaves
  // runs queued with slots free: then the launcher is told, and starts what fits. A pass that found
  // nothing to do and nothing queued says nothing.
  try {
    const changed = result.retried.length + result.failed.length > 0;
    if (changed || (await storeOf(ctx).runs.oldestQueued())) {
      await announceFreedSlot(ctx, `reconcile: ${result.retried.length} retried, ${result.failed.length} failed`);
    }
  } catch (err) {
    ctx.log.warn({ err: errorMessage(err) }, 'announcing free slots after reconcile failed; next pass retries');
  }
  return result;
}

async function retryOrFail(ctx: Context, seen: RunDoc, cause: string): Promise<'retried' | 'failed' | null> {
  const { clock } = ctx.platform;
  return storeOf(ctx).inTransaction(async (tx) => {
    const run = await tx.runs.get(seen.id);
    // Someone else moved it on (the completion arrived, another reconcile ran): nothing to do.
    if (!run || run.status !== 'running' || run.attempt !== seen.attempt || run.reported_attempt === run.attempt) return null;
    const executions = run.executions.map((e) => (e.id === run.execution_id ? { ...e, state: 'lost', error: cause } : e));
    if (run.attempt >= run.max_attempts) {
      const now = clock.now();
      tx.runs.update(run.id, {
        status: 'failed',
        error: `attempt ${run.attempt} of ${run.max_attempts} failed: ${cause}`,
        executions,
        finished_at: now.toISOString(),
        ...runUsage(ctx.config, run, now),
      });
      ctx.log.error({ run_id: run.id, attempt: run.attempt, cause }, 'run failed: no attempts left');
      return 'failed';
    }
    tx.runs.update(run.id, { status: 'queued', execution_id: null, executions, error: `attempt ${run.attempt} failed: ${cause}` });
    ctx.log.warn({ run_id: run.id, attempt: run.attempt, cause }, 'run retried');
    return 'retried';
  });
}
