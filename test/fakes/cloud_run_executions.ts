import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the fake Cloud Run server runs for a job execution: each task is a Node process of the job's
 * script with the environment a Cloud Run task gets (the job's env, the overrides' env, CLOUD_RUN_*),
 * stopped at its timeout (SIGTERM, then SIGKILL) or on cancel. The resulting Execution and Task
 * resources follow the Cloud Run Admin API v2: counts, `Completed` condition, last attempt results.
 */
export interface FakeJob {
  /** projects/<p>/locations/<r>/jobs/<name> */
  name: string;
  script: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  logDir: string;
}

interface TaskRun {
  index: number;
  process: ChildProcess;
  startTime: Date;
  completionTime?: Date;
  exitCode?: number;
  signal?: NodeJS.Signals;
  timedOut: boolean;
  exited: Promise<void>;
}

export interface ExecutionRun {
  name: string;
  uid: string;
  createTime: Date;
  completionTime?: Date;
  taskCount: number;
  timeoutSeconds: number;
  env: Record<string, string>;
  tasks: TaskRun[];
  cancelled: boolean;
  logFile: string;
  finished: Promise<void>;
}

const KILL_GRACE_MS = 2000;
const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 15, SIGKILL: 9, SIGINT: 2 };

export function startExecution(job: FakeJob, overrides: { env: Record<string, string>; taskCount: number; timeoutSeconds: number }): ExecutionRun {
  const shortJob = job.name.slice(job.name.lastIndexOf('/') + 1);
  const id = `${shortJob}-${randomBytes(3).toString('hex').slice(0, 5)}`;
  const name = `${job.name}/executions/${id}`;
  const logFile = path.join(job.logDir, `${id}.log`);
  const env = { ...job.env, ...overrides.env };
  const tasks = Array.from({ length: overrides.taskCount }, (_, index) =>
    startTask(job.script, { ...env, CLOUD_RUN_JOB: shortJob, CLOUD_RUN_EXECUTION: id, CLOUD_RUN_TASK_INDEX: String(index), CLOUD_RUN_TASK_COUNT: String(overrides.taskCount), CLOUD_RUN_TASK_ATTEMPT: '0' }, overrides.timeoutSeconds, logFile, index),
  );
  const run: ExecutionRun = {
    name,
    uid: randomUUID(),
    createTime: new Date(),
    taskCount: overrides.taskCount,
    timeoutSeconds: overrides.timeoutSeconds,
    env,
    tasks,
    cancelled: false,
    logFile,
    finished: Promise.resolve(),
  };
  run.finished = Promise.all(tasks.map((task) => task.exited)).then(() => {
    run.completionTime = new Date();
  });
  return run;
}

export async function cancelExecution(run: ExecutionRun): Promise<void> {
  run.cancelled = true;
  for (const task of run.tasks) stop(task);
  await run.finished;
}

function startTask(script: string, env: Record<string, string>, timeoutSeconds: number, logFile: string, index: number): TaskRun {
  const log = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, [script], { env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const task: TaskRun = { index, process: proc, startTime: new Date(), timedOut: false, exited: Promise.resolve() };
  const timer = setTimeout(() => {
    task.timedOut = true;
    stop(task);
  }, timeoutSeconds * 1000);
  task.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      task.completionTime = new Date();
      if (signal) task.signal = signal;
      else task.exitCode = code ?? undefined;
      resolve();
    });
  });
  return task;
}

function stop(task: TaskRun): void {
  if (task.completionTime) return;
  task.process.kill('SIGTERM');
  setTimeout(() => task.completionTime || task.process.kill('SIGKILL'), KILL_GRACE_MS).unref();
}

/** The google.cloud.run.v2.Execution resource of a run, as the API reports it now. */
export function executionResource(job: FakeJob, run: ExecutionRun): Record<string, unknown> {
  const done = run.tasks.filter((t) => t.completionTime);
  const succeeded = done.filter((t) => t.exitCode === 0 && !t.timedOut).length;
  const cancelled = run.cancelled ? run.tasks.length - succeeded : 0;
  const failed = run.cancelled ? 0 : done.length - succeeded;
  const complete = run.completionTime !== undefined;
  const condition = complete
    ? succeeded === run.taskCount
      ? { type: 'Completed', state: 'CONDITION_SUCCEEDED', message: 'Execution completed successfully', lastTransitionTime: timestamp(run.completionTime!) }
      : run.cancelled
        ? { type: 'Completed', state: 'CONDITION_FAILED', message: 'The execution was cancelled.', executionReason: 'CANCELLED', lastTransitionTime: timestamp(run.completionTime!) }
        : { type: 'Completed', state: 'CONDITION_FAILED', message: `Task ${taskId(run, firstFailed(run)!.index)} failed: ${taskStatus(run, firstFailed(run)!).message}`, executionReason: 'NON_ZERO_EXIT_CODE', lastTransitionTime: timestamp(run.completionTime!) }
    : { type: 'Completed', state: 'CONDITION_PENDING', message: 'Running' };
  return {
    name: run.name,
    uid: run.uid,
    job: job.name,
    createTime: timestamp(run.createTime),
    startTime: timestamp(run.createTime),
    ...(complete && { completionTime: timestamp(run.completionTime!) }),
    taskCount: run.taskCount,
    parallelism: run.taskCount,
    runningCount: run.tasks.length - done.length,
    succeededCount: succeeded,
    failedCount: failed,
    cancelledCount: cancelled,
    conditions: [condition],
    template: { timeout: { seconds: String(run.timeoutSeconds) }, containers: [{ env: Object.entries(run.env).map(([n, value]) => ({ name: n, value })) }] },
    logUri: `file://${run.logFile}`,
  };
}

export function taskResources(job: FakeJob, run: ExecutionRun): Array<Record<string, unknown>> {
  return run.tasks.map((task) => ({
    name: `${run.name}/tasks/${taskId(run, task.index)}`,
    job: job.name,
    execution: run.name,
    index: task.index,
    startTime: timestamp(task.startTime),
    ...(task.completionTime && { completionTime: timestamp(task.completionTime), lastAttemptResult: attemptResult(run, task) }),
  }));
}

function attemptResult(run: ExecutionRun, task: TaskRun): Record<string, unknown> {
  const status = taskStatus(run, task);
  return {
    status,
    ...(task.exitCode !== undefined && { exitCode: task.exitCode }),
    ...(task.signal && { termSignal: SIGNALS[task.signal] ?? 1 }),
  };
}

function taskStatus(run: ExecutionRun, task: TaskRun): { code: number; message: string } {
  if (task.timedOut) return { code: 4, message: `Task attempt exceeded its timeout of ${run.timeoutSeconds}s and was stopped.` };
  if (run.cancelled && task.exitCode !== 0) return { code: 1, message: 'The execution was cancelled.' };
  if (task.signal) return { code: 2, message: `The container was terminated by signal ${task.signal}.` };
  if (task.exitCode === 0) return { code: 0, message: '' };
  return { code: 2, message: `The container exited with an exit code of ${task.exitCode}.` };
}

function firstFailed(run: ExecutionRun): TaskRun | undefined {
  return run.tasks.find((t) => t.completionTime && (t.exitCode !== 0 || t.timedOut));
}

const taskId = (run: ExecutionRun, index: number) => `${run.name.slice(run.name.lastIndexOf('/') + 1)}-task${index}`;

export function timestamp(date: Date): { seconds: string; nanos: number } {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}
