import type { ExecutionsClient, JobsClient, TasksClient } from '@google-cloud/run';
import { invalid, notFound, unavailable } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { Execution, ExecutionLog, JobLauncher, JobSpec } from '../ports';
import { GRPC, fromGrpc, grpcCode } from './errors';
import { executionState, isoTime, toExecution, type RunExecution } from './run_execution';

// Cloud Run's limits for a task's timeout (7 days) and an execution's task count.
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
const MAX_TASKS = 10_000;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const EXECUTION_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface CloudRunJobLauncherOptions {
  jobs: JobsClient;
  executions: ExecutionsClient;
  tasks: TasksClient;
  /** projects/<project>/locations/<region>/jobs/<job> */
  job: string;
  defaultTimeoutSeconds: number;
  logger?: Logger;
}

/**
 * Cloud Run Jobs: `launch` runs the configured job with per-execution overrides (the run id and
 * attempt and the spec's variables in the environment, the task count, the timeout). An execution's
 * id is its short name; its state is read back from the Admin API each time it is asked.
 */
export class CloudRunJobLauncher implements JobLauncher {
  private closing?: Promise<void>;

  constructor(private readonly options: CloudRunJobLauncherOptions) {}

  async launch(spec: JobSpec): Promise<Execution> {
    if (typeof spec.runId !== 'string' || !RUN_ID.test(spec.runId)) throw invalid(`invalid run id ${JSON.stringify(spec.runId)}`);
    if (!Number.isInteger(spec.attempt) || spec.attempt < 1) throw invalid(`invalid attempt ${spec.attempt}`);
    const timeoutSeconds = spec.timeoutSeconds ?? this.options.defaultTimeoutSeconds;
    if (!(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
      throw invalid(`timeoutSeconds must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`);
    }
    const taskCount = spec.taskCount ?? 1;
    if (!(Number.isInteger(taskCount) && taskCount >= 1 && taskCount <= MAX_TASKS)) throw invalid(`taskCount must be from 1 to ${MAX_TASKS}`);
    const env = { MLOOP_RUN_ID: spec.runId, MLOOP_RUN_ATTEMPT: String(spec.attempt), ...spec.env };
    let execution: RunExecution | null | undefined;
    try {
      const [operation] = await this.options.jobs.runJob({
        name: this.options.job,
        overrides: {
          containerOverrides: [{ env: Object.entries(env).map(([name, value]) => ({ name, value })) }],
          taskCount,
          timeout: { seconds: timeoutSeconds },
        },
      });
      // The operation ends with the execution; its metadata names the execution as soon as it exists.
      execution = operation.metadata as RunExecution | null;
    } catch (err) {
      throw fromGrpc(err, `running Cloud Run job ${this.options.job}`);
    }
    if (!execution?.name) throw unavailable(`Cloud Run did not say which execution of ${this.options.job} it started`);
    const id = execution.name.slice(execution.name.lastIndexOf('/') + 1);
    this.options.logger?.info({ executionId: id, runId: spec.runId, attempt: spec.attempt }, 'Cloud Run job execution started');
    return {
      id,
      state: 'running',
      startedAt: isoTime(execution.createTime) ?? new Date().toISOString(),
      ...(execution.logUri && { logUri: execution.logUri }),
    };
  }

  async status(executionId: string): Promise<Execution | null> {
    const name = this.executionName(executionId);
    let execution: RunExecution;
    try {
      [execution] = await this.options.executions.getExecution({ name });
    } catch (err) {
      if (grpcCode(err) === GRPC.NOT_FOUND) return null;
      throw fromGrpc(err, `reading execution ${executionId}`);
    }
    if (executionState(execution) === 'running') return toExecution(executionId, execution, []);
    try {
      const [tasks] = await this.options.tasks.listTasks({ parent: name });
      return toExecution(executionId, execution, tasks);
    } catch (err) {
      throw fromGrpc(err, `reading the tasks of execution ${executionId}`);
    }
  }

  /** Waits until Cloud Run has stopped the execution; an execution that already ended stays as it ended. */
  async cancel(executionId: string): Promise<void> {
    const name = this.executionName(executionId);
    try {
      const [operation] = await this.options.executions.cancelExecution({ name });
      await operation.promise();
    } catch (err) {
      const code = grpcCode(err);
      if (code === GRPC.NOT_FOUND) throw notFound(`no execution ${executionId}`);
      if (code === GRPC.FAILED_PRECONDITION && (await this.status(executionId))?.state !== 'running') return;
      throw fromGrpc(err, `cancelling execution ${executionId}`);
    }
  }

  /**
   * The Cloud Logging entries of the execution: every task's stdout and stderr are logged under the
   * `cloud_run_job` resource with the execution's name as a label. Reading them is left to the
   * console link (or `gcloud logging read` with the filter), so no Logging client or role is needed.
   */
  async log(executionId: string): Promise<ExecutionLog | null> {
    return executionLogQuery(this.options.job, this.executionName(executionId));
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.options.jobs.close(), this.options.executions.close(), this.options.tasks.close()]).then(() => undefined);
    return this.closing;
  }

  private executionName(executionId: string): string {
    if (typeof executionId !== 'string' || !EXECUTION_ID.test(executionId)) throw invalid(`invalid execution id ${JSON.stringify(executionId)}`);
    return `${this.options.job}/executions/${executionId}`;
  }
}

/** The filter and console link for one execution's logs, from `projects/<p>/locations/<r>/jobs/<job>`. */
export function executionLogQuery(job: string, execution: string): ExecutionLog {
  const [, project, , location, , jobName] = job.split('/');
  const executionId = execution.slice(execution.lastIndexOf('/') + 1);
  const filter = [
    'resource.type="cloud_run_job"',
    `resource.labels.job_name="${jobName}"`,
    `resource.labels.location="${location}"`,
    `labels."run.googleapis.com/execution_name"="${executionId}"`,
  ].join('\n');
  const url = `https://console.cloud.google.com/logs/query;query=${encodeURIComponent(filter)}?project=${encodeURIComponent(project)}`;
  return { kind: 'cloud_logging', filter, url };
}
