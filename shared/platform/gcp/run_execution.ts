import type { google } from '@google-cloud/run/build/protos/protos';
import type { Execution, ExecutionState } from '../ports';
import { GRPC } from './errors';

export type RunExecution = google.cloud.run.v2.IExecution;
export type RunTask = google.cloud.run.v2.ITask;

interface Timestamp {
  seconds?: number | string | { toString(): string } | null;
  nanos?: number | null;
}

/** A protobuf Timestamp (int64 seconds may come as a string or a Long) as ISO 8601, or undefined when unset. */
export function isoTime(timestamp: Timestamp | null | undefined): string | undefined {
  if (!timestamp || timestamp.seconds === undefined || timestamp.seconds === null) return undefined;
  return new Date(Number(String(timestamp.seconds)) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6)).toISOString();
}

const isState = (value: unknown, name: string) => value === name;

/**
 * The state of a Cloud Run Job execution: its `Completed` condition decides once the execution has
 * completed; cancelled executions say so in the condition's reason (or their cancelled count).
 */
export function executionState(execution: RunExecution): ExecutionState {
  const completed = execution.conditions?.find((condition) => condition.type === 'Completed');
  if (isState(completed?.state, 'CONDITION_SUCCEEDED')) return 'succeeded';
  const finished = isState(completed?.state, 'CONDITION_FAILED') || Boolean(isoTime(execution.completionTime));
  if (!finished) return 'running';
  if (isState(completed?.executionReason, 'CANCELLED') || Number(execution.cancelledCount ?? 0) > 0) return 'cancelled';
  if (!completed && Number(execution.succeededCount ?? 0) >= Number(execution.taskCount ?? 1)) return 'succeeded';
  return 'failed';
}

/**
 * The port's Execution: the exit code and the reason come from the tasks' last attempts, worded as
 * the local launcher words them (`exit code 3`, `timed out after 60s`), so a run's error reads the
 * same wherever it ran; Cloud Run's own message is kept when it says something else.
 */
export function toExecution(id: string, execution: RunExecution, tasks: RunTask[]): Execution {
  const state = executionState(execution);
  const base: Execution = {
    id,
    state,
    startedAt: isoTime(execution.startTime) ?? isoTime(execution.createTime) ?? new Date(0).toISOString(),
    ...(execution.logUri && { logUri: execution.logUri }),
  };
  if (state === 'running') return base;
  const finishedAt = isoTime(execution.completionTime);
  const finished = { ...base, ...(finishedAt && { finishedAt }) };
  if (state === 'cancelled') return { ...finished, error: 'cancelled' };
  const results = tasks.map((task) => task.lastAttemptResult).filter((result) => result !== null && result !== undefined);
  const failedResult = results.find((result) => Number(result.status?.code ?? 0) !== 0 || Number(result.exitCode ?? 0) !== 0);
  if (state === 'succeeded') return { ...finished, exitCode: 0 };
  if (!failedResult) {
    const completed = execution.conditions?.find((condition) => condition.type === 'Completed');
    return { ...finished, error: completed?.message || 'the execution failed' };
  }
  const exitCode = Number(failedResult.exitCode ?? 0);
  const signal = Number(failedResult.termSignal ?? 0);
  const code = Number(failedResult.status?.code ?? 0);
  if (exitCode !== 0) return { ...finished, exitCode, error: `exit code ${exitCode}` };
  if (code === GRPC.DEADLINE_EXCEEDED) {
    const timeout = Number(String(execution.template?.timeout?.seconds ?? 0));
    return { ...finished, error: timeout ? `timed out after ${timeout}s` : 'timed out' };
  }
  if (signal) return { ...finished, error: `killed by signal ${signal}${failedResult.status?.message ? `: ${failedResult.status.message}` : ''}` };
  return { ...finished, error: failedResult.status?.message || 'the task failed' };
}
