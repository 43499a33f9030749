import { errorMessage } from '../../core/errors';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { RunDoc } from '../store/documents';
import { taskCountFor } from '../training/task_count';
import { stopCancelledExecution } from './stop_cancelled_execution';

/**
 * Starts queued runs, oldest first, while fewer than `maxParallelJobs` run. Claiming a run and
 * counting the running ones happen in one transaction, so two dispatchers cannot both take the last
 * slot. A claim whose launch then fails goes back to the queue.
 */
export async function launchQueuedRuns(ctx: Context): Promise<string[]> {
  const started: string[] = [];
  for (;;) {
    const claimed = await storeOf(ctx).runs.claimNext(ctx.config.maxParallelJobs, ctx.platform.clock.now());
    if (!claimed) return started;
    await launchClaimed(ctx, claimed);
    started.push(claimed.id);
  }
}

async function launchClaimed(ctx: Context, run: RunDoc): Promise<void> {
  const { jobs, clock } = ctx.platform;
  const store = storeOf(ctx);
  let stopNow = false;
  try {
    const execution = await jobs.launch({
      runId: run.id,
      attempt: run.attempt,
      env: { MLOOP_RUN_ID: run.id, MLOOP_RUN_ATTEMPT: String(run.attempt) },
      taskCount: await taskCountFor(ctx, run),
    });
    const cancelledMeanwhile = await store.inTransaction(async (tx) => {
      const current = await tx.runs.get(run.id);
      if (!current || current.attempt !== run.attempt) return false;
      tx.runs.update(run.id, {
        execution_id: execution.id,
        started_at: current.started_at ?? clock.now().toISOString(),
        executions: [
          ...current.executions,
          { id: execution.id, attempt: run.attempt, started_at: execution.startedAt, log_uri: execution.logUri },
        ],
      });
      return current.status === 'cancelled';
    });
    if (cancelledMeanwhile) stopNow = true;
    else ctx.log.info({ run_id: run.id, attempt: run.attempt, execution_id: execution.id }, 'training job launched');
  } catch (err) {
    ctx.log.warn({ run_id: run.id, err: errorMessage(err) }, 'launch failed; the run goes back to the queue');
    // Unless it was cancelled meanwhile: that stands.
    await store.inTransaction(async (tx) => {
      const current = await tx.runs.get(run.id);
      if (current?.status !== 'running' || current.attempt !== run.attempt) return;
      tx.runs.update(run.id, { status: 'queued', attempt: run.attempt - 1, error: `launch failed: ${errorMessage(err)}` });
    });
    throw err;
  }
  // Cancelled between its claim and its launch: the job it just got is stopped at once.
  if (stopNow) await stopCancelledExecution(ctx, run.id);
}
