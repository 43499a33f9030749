import { errorMessage, MloopError } from '../../core/errors';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { RunDoc } from '../store/documents';

/**
 * Stops the job of a cancelled run and records how its execution ended; harmless for any other run,
 * and when it is stopped already (both launchers leave an ended execution as it ended).
 */
export async function stopCancelledExecution(ctx: Context, runId: string): Promise<boolean> {
  const run = await storeOf(ctx).runs.get(runId);
  if (!run || run.status !== 'cancelled' || !run.execution_id || !hasLiveExecution(run)) return false;
  const executionId = run.execution_id;
  try {
    await ctx.platform.jobs.cancel(executionId);
  } catch (err) {
    if (!(err instanceof MloopError && err.code === 'not_found')) throw err;
    ctx.log.warn({ run_id: runId, execution_id: executionId, err: errorMessage(err) }, 'the execution to stop is unknown to the launcher');
  }
  await storeOf(ctx).inTransaction(async (tx) => {
    const current = await tx.runs.get(runId);
    if (!current) return;
    tx.runs.update(runId, {
      executions: current.executions.map((e) => (e.id === executionId ? { ...e, state: 'cancelled', error: 'cancelled' } : e)),
    });
  });
  ctx.log.info({ run_id: runId, execution_id: executionId }, 'cancelled run: its job is stopped');
  return true;
}

/** Its current execution is not yet recorded as ended. */
export function hasLiveExecution(run: RunDoc): boolean {
  if (!run.execution_id) return false;
  const record = run.executions.find((e) => e.id === run.execution_id);
  return !record?.state;
}
