import type { Execution, JobLauncher } from '../../shared/platform/ports';
import { waitFor } from './support';

export interface JobLauncherFixture {
  /**
   * Its job is the test job: it reads MLOOP_TEST_JOB from its environment — `exit:N` exits with N,
   * `sleep:MS` sleeps then exits 0, `env` prints its environment as JSON, `stubborn` ignores SIGTERM.
   */
  launcher: JobLauncher;
  cleanup(): Promise<void>;
}

/** What every JobLauncher must do: run, report, time out and cancel executions. */
export function jobLauncherContract(name: string, makeLauncher: () => Promise<JobLauncherFixture>): void {
  describe(`JobLauncher contract: ${name}`, () => {
    let fixture: JobLauncherFixture;
    let launcher: JobLauncher;
    let run = 0;

    beforeEach(async () => {
      fixture = await makeLauncher();
      launcher = fixture.launcher;
    });
    afterEach(async () => {
      await launcher.close();
      await fixture.cleanup();
    });

    const launch = (job: string, extra: { timeoutSeconds?: number } = {}) =>
      launcher.launch({ runId: `run-c${++run}`, attempt: 1, env: { MLOOP_TEST_JOB: job }, ...extra });

    const finished = (id: string, timeoutMs = 10_000) =>
      waitFor(async () => {
        const execution = await launcher.status(id);
        return execution && execution.state !== 'running' ? execution : null;
      }, `execution ${id} to finish`, timeoutMs);

    test('a job that exits 0 succeeds', async () => {
      const started = await launch('exit:0');
      expect(started.state).toBe('running');
      expect(started.id).toBeTruthy();
      const done: Execution = await finished(started.id);
      expect(done).toMatchObject({ id: started.id, state: 'succeeded', exitCode: 0, startedAt: started.startedAt });
      expect(done.error).toBeUndefined();
      expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    });

    test('a job that exits non-zero fails with its exit code', async () => {
      const started = await launch('exit:3');
      const done = await finished(started.id);
      expect(done).toMatchObject({ state: 'failed', exitCode: 3, error: 'exit code 3' });
    });

    test('a running job reports running', async () => {
      const started = await launch('sleep:1500');
      expect((await launcher.status(started.id))?.state).toBe('running');
      await launcher.cancel(started.id);
    });

    test('a job past its timeout is stopped and fails', async () => {
      const t0 = Date.now();
      const started = await launch('sleep:30000', { timeoutSeconds: 1 });
      const done = await finished(started.id);
      expect(done.state).toBe('failed');
      expect(done.error).toBe('timed out after 1s');
      expect(Date.now() - t0).toBeLessThan(8000);
    });

    test('cancel stops the job and records it as cancelled', async () => {
      const started = await launch('sleep:30000');
      await launcher.cancel(started.id);
      const done = await finished(started.id, 3000);
      expect(done.state).toBe('cancelled');
      expect(done.finishedAt).toBeDefined();
    });

    test('an execution never launched is null', async () => {
      expect(await launcher.status('mloop-train-nothing-a1-000000')).toBeNull();
    });
  });
}
