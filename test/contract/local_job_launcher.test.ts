import fs from 'node:fs';
import path from 'node:path';
import { LocalJobLauncher } from '../../shared/platform/local/job_launcher';
import { isAlive } from '../../shared/platform/local/pids';
import type { Execution, JobLauncher } from '../../shared/platform/ports';
import { localHome, type LocalHome } from './local_fixtures';
import { expectCode, runHelper, waitFor } from './support';

describe('LocalJobLauncher', () => {
  let local: LocalHome;
  let launcher: LocalJobLauncher;
  const pids: number[] = [];

  beforeEach(() => {
    local = localHome({ MLOOP_MAX_PARALLEL_JOBS: '1', MLOOP_SOMETHING: 'inherited' });
    launcher = new LocalJobLauncher(local.db, local.config, undefined, { killGraceMs: 300 });
  });
  afterEach(async () => {
    await launcher.close();
    for (const pid of pids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await local.cleanup();
  });

  const finished = (id: string, on: JobLauncher = launcher, timeoutMs = 10_000) =>
    waitFor(async () => {
      const execution = await on.status(id);
      return execution && execution.state !== 'running' ? execution : null;
    }, `execution ${id} to finish`, timeoutMs);

  /** The job prints its pid first; tests use it to check on or kill the process. */
  const jobPid = async (execution: Execution) => {
    const line = await waitFor(() => fs.readFileSync(execution.logUri!, 'utf8').match(/"pid":(\d+)/), 'the job to start');
    const pid = Number(line[1]);
    pids.push(pid);
    return pid;
  };

  test('the job gets the environment of a Cloud Run task, and its output lands in the execution log', async () => {
    const execution = await launcher.launch({ runId: 'run-abc', attempt: 2, env: { MLOOP_TEST_JOB: 'env', EXTRA: 'yes', MLOOP_SOMETHING: 'overridden' } });
    expect(execution.id).toMatch(/^mloop-train-run-abc-a2-[0-9a-f]{6}$/);
    expect(execution.logUri).toBe(path.join(local.home, 'logs', 'executions', `${execution.id}.log`));
    expect((await finished(execution.id)).state).toBe('succeeded');
    const log = fs.readFileSync(execution.logUri!, 'utf8');
    const env = JSON.parse(log.split('\n').find((l) => l.startsWith('{"env"'))!).env as Record<string, string>;
    expect(env).toMatchObject({
      CLOUD_RUN_JOB: 'mloop-train',
      CLOUD_RUN_EXECUTION: execution.id,
      CLOUD_RUN_TASK_INDEX: '0',
      CLOUD_RUN_TASK_COUNT: '1',
      CLOUD_RUN_TASK_ATTEMPT: '0',
      MLOOP_RUN_ID: 'run-abc',
      MLOOP_RUN_ATTEMPT: '2',
      MLOOP_HOME: local.home,
      EXTRA: 'yes',
      MLOOP_SOMETHING: 'overridden',
    });
  });

  test('log() reads the execution log: its tail, or from an offset on, for a reader that follows it', async () => {
    const execution = await launcher.launch({ runId: 'run-log', attempt: 1, env: { MLOOP_TEST_JOB: 'env' } });
    await finished(execution.id);
    const whole = fs.readFileSync(execution.logUri!, 'utf8');
    expect(await launcher.log(execution.id)).toEqual({ kind: 'text', text: whole, offset: 0, nextOffset: whole.length, size: whole.length });
    const tail = await launcher.log(execution.id, { maxBytes: 10 });
    expect(tail).toEqual({ kind: 'text', text: whole.slice(-10), offset: whole.length - 10, nextOffset: whole.length, size: whole.length });
    const slice = await launcher.log(execution.id, { offset: 5, maxBytes: 20 });
    expect(slice).toMatchObject({ text: whole.slice(5, 25), offset: 5, nextOffset: 25 });
    expect(await launcher.log(execution.id, { offset: whole.length + 100 })).toMatchObject({ text: '', offset: whole.length, nextOffset: whole.length });
    expect(await launcher.log('mloop-train-never-ran')).toBeNull();
  });

  test('stderr goes to the log too', async () => {
    const execution = await launcher.launch({ runId: 'run-err', attempt: 1, env: { MLOOP_TEST_JOB: 'exit:3' } });
    await finished(execution.id);
    expect(fs.readFileSync(execution.logUri!, 'utf8')).toContain('exiting with 3');
  });

  test('above the parallel limit a launch is refused, and allowed again once a job ends', async () => {
    const first = await launcher.launch({ runId: 'run-1', attempt: 1, env: { MLOOP_TEST_JOB: 'sleep:400' } });
    await expectCode(launcher.launch({ runId: 'run-2', attempt: 1, env: { MLOOP_TEST_JOB: 'exit:0' } }), 'unavailable');
    await finished(first.id);
    const second = await launcher.launch({ runId: 'run-2', attempt: 1, env: { MLOOP_TEST_JOB: 'exit:0' } });
    expect((await finished(second.id)).state).toBe('succeeded');
  });

  test('a job that ignores SIGTERM is killed after the grace period when cancelled', async () => {
    const execution = await launcher.launch({ runId: 'run-stubborn', attempt: 1, env: { MLOOP_TEST_JOB: 'stubborn' } });
    const pid = await jobPid(execution);
    const t0 = Date.now();
    await launcher.cancel(execution.id);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(isAlive(pid)).toBe(false);
    expect(await launcher.status(execution.id)).toMatchObject({ state: 'cancelled', error: 'cancelled' });
    expect(fs.readFileSync(execution.logUri!, 'utf8')).toContain('ignoring SIGTERM');
  });

  test('a job killed by a signal fails with the signal name', async () => {
    const execution = await launcher.launch({ runId: 'run-kill', attempt: 1, env: { MLOOP_TEST_JOB: 'self-kill' } });
    expect(await finished(execution.id)).toMatchObject({ state: 'failed', error: 'killed by SIGKILL' });
  });

  test('a job whose launcher died and whose process is gone is reported lost', async () => {
    const stack = runHelper('launch_and_hang', [local.home, local.config.jobScript]);
    const [, id] = await stack.line(/launched (\S+)/);
    stack.child.kill('SIGKILL');
    await stack.exited;
    const status = await launcher.status(id);
    expect(status?.state).toBe('running');
    const pid = await jobPid(status!);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 'the job to die');
    expect(await launcher.status(id)).toMatchObject({ state: 'failed', error: `process lost (pid ${pid} is gone)` });
    const other = new LocalJobLauncher(local.openAgain(), local.config);
    expect((await other.status(id))?.error).toBe(`process lost (pid ${pid} is gone)`);
  });

  test('a job started by another launcher can be cancelled from here, and stays cancelled', async () => {
    const spawner = new LocalJobLauncher(local.openAgain(), local.config, undefined, { killGraceMs: 300 });
    try {
      const execution = await spawner.launch({ runId: 'run-remote', attempt: 1, env: { MLOOP_TEST_JOB: 'sleep:30000' } });
      const pid = await jobPid(execution);
      await launcher.cancel(execution.id);
      expect(isAlive(pid)).toBe(false);
      await finished(execution.id, spawner);
      expect(await spawner.status(execution.id)).toMatchObject({ state: 'cancelled' });
    } finally {
      await spawner.close();
    }
  });

  test('close leaves running jobs alone', async () => {
    const execution = await launcher.launch({ runId: 'run-left', attempt: 1, env: { MLOOP_TEST_JOB: 'sleep:30000' } });
    const pid = await jobPid(execution);
    await launcher.close();
    expect(isAlive(pid)).toBe(true);
    await expectCode(launcher.launch({ runId: 'run-next', attempt: 1, env: {} }), 'failed_precondition');
  });

  test('bad specs and a missing job script are refused before anything starts', async () => {
    await expectCode(launcher.launch({ runId: '../etc', attempt: 1, env: {} }), 'invalid_argument');
    await expectCode(launcher.launch({ runId: 'run-x', attempt: 0, env: {} }), 'invalid_argument');
    await expectCode(launcher.launch({ runId: 'run-x', attempt: 1, env: {}, taskCount: 2 }), 'invalid_argument');
    await expectCode(launcher.launch({ runId: 'run-x', attempt: 1, env: {}, timeoutSeconds: 0 }), 'invalid_argument');
    const missing = new LocalJobLauncher(local.db, { ...local.config, jobScript: path.join(local.home, 'nope.js') });
    await expectCode(missing.launch({ runId: 'run-x', attempt: 1, env: {} }), 'failed_precondition');
    await expectCode(launcher.cancel('mloop-train-none-a1-000000'), 'not_found');
    expect(fs.existsSync(path.join(local.home, 'logs'))).toBe(false);
  });
});
