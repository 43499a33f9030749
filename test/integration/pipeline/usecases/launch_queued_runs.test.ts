import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFor } from '../../../../shared/core/config';
import { createLogger } from '../../../../shared/core/log';
import type { Context } from '../../../../shared/pipeline/context';
import { storeOver } from '../../../../shared/pipeline/store';
import { cancelRun } from '../../../../shared/pipeline/usecases/cancel_run';
import { requestTraining } from '../../../../shared/pipeline/usecases/on_training_requested';
import { createPlatform } from '../../../../shared/platform';
import type { Execution, JobLauncher, JobSpec, Platform } from '../../../../shared/platform/ports';
import { RecordingLauncher } from '../../../support/recording_launcher';

/** A launcher during whose launch someone cancels the run: the claim is made, the execution not yet recorded. */
class CancelledWhileLaunching implements JobLauncher {
  private readonly recording = new RecordingLauncher();
  readonly launched = this.recording.launched;
  readonly cancelled: string[] = [];
  ctx!: Context;
  async launch(spec: JobSpec): Promise<Execution> {
    await cancelRun(this.ctx, spec.runId, { by: 'admin-api', reason: 'changed my mind' }, { stopExecution: true });
    return this.recording.launch(spec);
  }
  async cancel(executionId: string): Promise<void> {
    this.cancelled.push(executionId);
  }
  status = () => this.recording.status();
  log = () => this.recording.log();
  close = () => this.recording.close();
}

let home: string;
let platform: Platform;

beforeEach(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-launch-'));
  platform = createPlatform(configFor(home, { MLOOP_LOG_LEVEL: 'silent' }), createLogger('silent'));
  await storeOver(platform.docs).datasets.createOrGet({
    model: 'fraud',
    version: 'd1',
    status: 'accepted',
    object: { bucket: 'data', name: 'datasets/fraud/d1.csv', generation: '1', md5Hash: 'x', size: 1 },
    created_at: new Date().toISOString(),
  });
});

afterEach(async () => {
  await platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

test('a run cancelled between its claim and its launch gets its execution stopped at once, and stays cancelled', async () => {
  const launcher = new CancelledWhileLaunching();
  const ctx: Context = { config: configFor(home, { MLOOP_LOG_LEVEL: 'silent' }), log: createLogger('silent'), platform: { ...platform, jobs: launcher } };
  launcher.ctx = ctx;
  const { runId } = await requestTraining(ctx, { request_id: 'manual:fraud:1', model: 'fraud', dataset_version: 'd1', reason: 'manual', requested_at: new Date().toISOString() });
  expect(launcher.launched).toEqual([runId]);
  expect(launcher.cancelled).toEqual(['exec-1']);
  expect(await storeOver(platform.docs).runs.get(runId)).toMatchObject({
    status: 'cancelled',
    cancel_reason: 'changed my mind',
    execution_id: 'exec-1',
    executions: [expect.objectContaining({ id: 'exec-1', state: 'cancelled' })],
  });
});
