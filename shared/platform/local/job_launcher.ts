import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config';
import { errorMessage, invalid, notFound, preconditionFailed, unavailable } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { Execution, ExecutionLog, ExecutionState, JobLauncher, JobSpec, LogReadOptions } from '../ports';
import { isAlive } from './pids';
import type { Db } from './sqlite';

interface ExecutionRow {
  id: string;
  run_id: string;
  attempt: number;
  pid: number | null;
  state: ExecutionState;
  started_at: string;
  finished_at: string | null;
  exit_code: number | null;
  error: string | null;
  log_path: string;
}

interface Child {
  process: ChildProcess;
  stopReason?: 'cancel' | 'timeout';
  timeoutSeconds: number;
  timers: NodeJS.Timeout[];
  exited: Promise<void>;
}

export interface LocalJobLauncherOptions {
  /** Between SIGTERM and SIGKILL when a job is cancelled or times out. */
  killGraceMs?: number;
}

const JOB_NAME = 'mloop-train';
// Cloud Run's limit for a task (7 days); it also keeps the timer below setTimeout's 2^31 ms ceiling.
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

/**
 * Cloud Run Jobs played by child processes: the job script runs under this Node with the environment a
 * Cloud Run task gets, its output goes to a log file per execution, and each execution is a row in
 * SQLite so that other processes (the CLI, a restarted stack) can see it. Children are not detached:
 * killing the stack's process group takes the jobs down with it.
 */
export class LocalJobLauncher implements JobLauncher {
  private readonly children = new Map<string, Child>();
  private starting = 0;
  private closed = false;
  private readonly killGraceMs: number;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly logger?: Logger,
    options: LocalJobLauncherOptions = {},
  ) {
    this.killGraceMs = options.killGraceMs ?? 10_000;
  }

  async launch(spec: JobSpec): Promise<Execution> {
    if (this.closed) throw preconditionFailed('the job launcher is closed');
    if (typeof spec.runId !== 'string' || !RUN_ID.test(spec.runId)) throw invalid(`invalid run id ${JSON.stringify(spec.runId)}`);
    if (!Number.isInteger(spec.attempt) || spec.attempt < 1) throw invalid(`invalid attempt ${spec.attempt}`);
    if (spec.timeoutSeconds !== undefined && !(Number.isInteger(spec.timeoutSeconds) && spec.timeoutSeconds > 0 && spec.timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
      throw invalid(`timeoutSeconds must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`);
    }
    if ((spec.taskCount ?? 1) !== 1) throw invalid('the local job launcher runs one task per execution');
    if (!fs.existsSync(this.config.jobScript)) {
      throw preconditionFailed(`job script ${this.config.jobScript} does not exist; build it first (npm run build)`);
    }
    // The pipeline limits runs too; this guards against it being wrong, counting what this process runs.
    if (this.children.size + this.starting >= this.config.maxParallelJobs) {
      throw unavailable(`${this.config.maxParallelJobs} job(s) already running, the most allowed (MLOOP_MAX_PARALLEL_JOBS)`);
    }
    this.starting++;
    try {
      return await this.start(spec);
    } finally {
      this.starting--;
    }
  }

  async status(executionId: string): Promise<Execution | null> {
    const row = this.read(executionId);
    if (!row) return null;
    if (row.state === 'running' && !this.children.has(row.id) && (row.pid === null || !isAlive(row.pid))) {
      // Started by a process that is gone too, so no one is left to record how it ended.
      this.finish(row.id, 'failed', null, `process lost (pid ${row.pid} is gone)`, true);
      return toExecution(this.read(executionId)!);
    }
    return toExecution(row);
  }

  async cancel(executionId: string): Promise<void> {
    const child = this.children.get(executionId);
    if (child) {
      child.stopReason ??= 'cancel';
      this.terminate(child);
      await child.exited;
      return;
    }
    const row = this.read(executionId);
    if (!row) throw notFound(`no execution ${executionId}`);
    if (row.state !== 'running' || row.pid === null) return;
    // Started by another process: record the cancel first, so the spawner keeps it when the child exits.
    this.finish(row.id, 'cancelled', null, 'cancelled', true);
    await this.killPid(row.pid);
  }

  /** A slice of the file the execution's process writes its stdout and stderr to. */
  async log(executionId: string, options: LogReadOptions = {}): Promise<ExecutionLog | null> {
    const row = this.read(executionId);
    if (!row) return null;
    return readLogSlice(row.log_path, options);
  }

  /**
   * Stops launching and lets this process exit without waiting for the jobs, which keep running: the
   * stack decides whether to kill them (its process group) or leave them to finish. A job that outlives
   * this launcher is reported as lost once its process is gone, by whichever launcher is asked.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.children.values()) {
      child.process.unref();
      for (const timer of child.timers) timer.unref();
    }
  }

  private async start(spec: JobSpec): Promise<Execution> {
    const id = `${JOB_NAME}-${spec.runId}-a${spec.attempt}-${randomBytes(3).toString('hex')}`.toLowerCase();
    const logPath = path.join(this.config.home, 'logs', 'executions', `${id}.log`);
    fs.mkdirSync(path.dirname(logPath), { recursive: true });
    const env = {
      ...this.config.jobEnv,
      CLOUD_RUN_JOB: JOB_NAME,
      CLOUD_RUN_EXECUTION: id,
      CLOUD_RUN_TASK_INDEX: '0',
      CLOUD_RUN_TASK_COUNT: '1',
      CLOUD_RUN_TASK_ATTEMPT: '0',
      MLOOP_RUN_ID: spec.runId,
      MLOOP_RUN_ATTEMPT: String(spec.attempt),
      ...spec.env,
    };
    const log = fs.openSync(logPath, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(process.execPath, [this.config.jobScript], { env, stdio: ['ignore', log, log], detached: false });
      await new Promise<void>((resolve, reject) => {
        proc.once('spawn', resolve);
        proc.once('error', reject);
      });
    } catch (err) {
      throw unavailable(`could not start the job: ${errorMessage(err)}`);
    } finally {
      fs.closeSync(log);
    }
    const startedAt = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO executions (id, run_id, attempt, pid, state, started_at, log_path)
         VALUES (?, ?, ?, ?, 'running', ?, ?)`,
      )
      .run(id, spec.runId, spec.attempt, proc.pid ?? null, startedAt, logPath);

    const timeoutSeconds = spec.timeoutSeconds ?? this.config.jobTimeoutSeconds;
    const child: Child = { process: proc, timeoutSeconds, timers: [], exited: Promise.resolve() };
    // Signalling a process that just exited can emit 'error'; unheard, it would crash the stack.
    proc.on('error', (err) => this.logger?.warn({ executionId: id, err: errorMessage(err) }, 'job process error'));
    child.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        for (const timer of child.timers) clearTimeout(timer);
        this.children.delete(id);
        this.recordExit(id, child, code, signal);
        resolve();
      });
    });
    child.timers.push(
      setTimeout(() => {
        child.stopReason ??= 'timeout';
        this.terminate(child);
      }, timeoutSeconds * 1000),
    );
    this.children.set(id, child);
    this.logger?.info({ executionId: id, runId: spec.runId, attempt: spec.attempt, pid: proc.pid, logPath }, 'job started');
    return { id, state: 'running', startedAt, logUri: logPath };
  }

  private recordExit(id: string, child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    let state: ExecutionState;
    let error: string | null = null;
    if (child.stopReason === 'cancel') {
      state = 'cancelled';
      error = 'cancelled';
    } else if (child.stopReason === 'timeout') {
      state = 'failed';
      error = `timed out after ${child.timeoutSeconds}s`;
    } else if (code === 0) {
      state = 'succeeded';
    } else {
      state = 'failed';
      error = signal ? `killed by ${signal}` : `exit code ${code}`;
    }
    if (!this.db.open) return; // closed under us: a later status() reports the execution as lost
    this.finish(id, state, code, error, false);
    this.logger?.info({ executionId: id, state, exitCode: code, signal, error }, 'job finished');
  }

  /**
   * Records the end of an execution. An observer (`onlyIfRunning`) never overwrites a recorded end;
   * the spawner, which knows best, overwrites a guess such as "process lost", but keeps a cancel
   * recorded by another process.
   */
  private finish(id: string, state: ExecutionState, exitCode: number | null, error: string | null, onlyIfRunning: boolean): void {
    this.db
      .prepare(
        `UPDATE executions SET
           state = CASE WHEN state = 'cancelled' THEN state ELSE @state END,
           error = CASE WHEN state = 'cancelled' THEN error ELSE @error END,
           exit_code = @exitCode, finished_at = coalesce(finished_at, @now)
         WHERE id = @id AND (@onlyIfRunning = 0 OR state = 'running')`,
      )
      .run({ id, state, error, exitCode, now: new Date().toISOString(), onlyIfRunning: onlyIfRunning ? 1 : 0 });
  }

  private terminate(child: Child): void {
    child.process.kill('SIGTERM');
    child.timers.push(setTimeout(() => child.process.kill('SIGKILL'), this.killGraceMs));
  }

  private async killPid(pid: number): Promise<void> {
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + this.killGraceMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (isAlive(pid)) signal('SIGKILL');
  }

  private read(id: string): ExecutionRow | undefined {
    return this.db.prepare('SELECT * FROM executions WHERE id = ?').get(id) as ExecutionRow | undefined;
  }
}

const DEFAULT_LOG_BYTES = 64 * 1024;
const MAX_LOG_BYTES = 1024 * 1024;

/** Up to `maxBytes` from `offset`, or the last `maxBytes` without one; a file not yet written is empty. */
function readLogSlice(file: string, options: LogReadOptions): ExecutionLog {
  const maxBytes = Math.min(Math.max(1, Math.floor(options.maxBytes ?? DEFAULT_LOG_BYTES)), MAX_LOG_BYTES);
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    return { kind: 'text', text: '', offset: 0, nextOffset: 0, size: 0 };
  }
  const offset = options.offset === undefined ? Math.max(0, size - maxBytes) : Math.min(Math.max(0, Math.floor(options.offset)), size);
  const length = Math.min(maxBytes, size - offset);
  const buffer = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buffer, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  return { kind: 'text', text: buffer.toString('utf8'), offset, nextOffset: offset + length, size };
}

function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    state: row.state,
    startedAt: row.started_at,
    ...(row.finished_at !== null && { finishedAt: row.finished_at }),
    ...(row.exit_code !== null && { exitCode: row.exit_code }),
    ...(row.error !== null && { error: row.error }),
    logUri: row.log_path,
  };
}
