import type { Execution, JobLauncher } from '../../shared/platform/ports';

/** Records the runs it is asked to launch instead of starting processes, for tests about which run is launched. */
export class RecordingLauncher implements JobLauncher {
  readonly launched: string[] = [];
  async launch(spec: { runId: string }): Promise<Execution> {
    this.launched.push(spec.runId);
    return { id: `exec-${this.launched.length}`, state: 'running', startedAt: new Date().toISOString() };
  }
  async status(): Promise<Execution | null> {
    return null;
  }
  async cancel(): Promise<void> {}
  async log(): Promise<null> {
    return null;
  }
  async close(): Promise<void> {}
}
