import type { ExecutionLog } from '../../platform/ports';
import type { Context } from '../context';
import { FINISHED_RUN_STATUSES, type RunStatus } from '../store/documents';
import { getRun } from './listings';

export interface RunLogs {
  run_id: string;
  status: RunStatus;
  /** Whether the run has ended: a follower stops once it has read the rest. */
  finished: boolean;
  attempt: number;
  execution_id: string | null;
  /** null while the run waits for its first execution. */
  log: ExecutionLog | null;
}

/**
 * The log of a run's current (or last) execution, as the job launcher keeps it: locally a slice of
 * the child process's output file (from `offset`, or its tail), on Google Cloud the Cloud Logging
 * filter of the Cloud Run job execution and a console link.
 */
export async function runLogs(ctx: Context, runId: string, options: { offset?: number; maxBytes?: number } = {}): Promise<RunLogs> {
  const run = await getRun(ctx, runId);
  const executionId = run.execution_id ?? run.executions[run.executions.length - 1]?.id ?? null;
  const log = executionId ? await ctx.platform.jobs.log(executionId, options) : null;
  return {
    run_id: run.id,
    status: run.status,
    finished: FINISHED_RUN_STATUSES.includes(run.status),
    attempt: run.attempt,
    execution_id: executionId,
    log,
  };
}
