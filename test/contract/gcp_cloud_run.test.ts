import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import type { Platform } from '../../shared/platform/ports';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud_run_server';
import { jobLauncherContract } from './job_launcher.contract';
import { writeTestJob } from './local_fixtures';
import { expectCode, removeDir, tempDir, waitFor } from './support';

const PROJECT = 'mloop-run-test';
const REGION = 'europe-west4';
const JOB_ENV = { MLOOP_PLATFORM: 'gcp', MLOOP_LOG_LEVEL: 'warn' };
const SERVICE_ENV = { MLOOP_PLATFORM: 'gcp', MLOOP_DATA_BUCKET: 'data-bucket' };

let dir: string;
let fake: FakeCloudRun;
const platforms: Platform[] = [];

beforeAll(async () => {
  dir = tempDir('mloop-cloud-run');
  fake = await startFakeCloudRun({
    project: PROJECT,
    region: REGION,
    job: { name: 'mloop-train', script: writeTestJob(dir), env: JOB_ENV, timeoutSeconds: 600 },
    service: { name: 'mloop-score', image: 'europe-docker.pkg.dev/p/mloop/score:1', env: SERVICE_ENV },
  });
});

afterAll(async () => {
  await Promise.all(platforms.map((platform) => platform.close()));
  await fake.close();
  removeDir(dir);
  expect(fake.unexpected).toEqual([]);
});

/** The platform a deployment with these variables gets: Cloud Run adapters on the fake server. */
function gcpPlatform(overrides: Record<string, string> = {}): Platform {
  const config = configFor(dir, {
    MLOOP_PLATFORM: 'gcp',
    GOOGLE_CLOUD_PROJECT: PROJECT,
    GOOGLE_CLOUD_REGION: REGION,
    MLOOP_RUN_ENDPOINT: fake.endpoint,
    MLOOP_LOG_LEVEL: 'silent',
    ...overrides,
  });
  const platform = createPlatform(config, createLogger('silent'));
  platforms.push(platform);
  return platform;
}

jobLauncherContract('Cloud Run Jobs (fake Admin API)', async () => ({ launcher: gcpPlatform().jobs, cleanup: async () => undefined }));

describe('CloudRunJobLauncher on the Admin API', () => {
  const runJobs = () => fake.calls.filter((call) => call.method === 'RunJob');

  test('RunJob carries exactly the run, its attempt, the spec env, one task and the timeout as overrides', async () => {
    const jobs = gcpPlatform({ MLOOP_JOB_TIMEOUT_SECONDS: '900' }).jobs;
    const before = runJobs().length;
    const started = await jobs.launch({ runId: 'run-0123abcd', attempt: 2, env: { MLOOP_TEST_JOB: 'env', MLOOP_RUN_ID: 'run-0123abcd' } });
    expect(runJobs().slice(before).map((call) => call.request)).toEqual([
      {
        name: `projects/${PROJECT}/locations/${REGION}/jobs/mloop-train`,
        overrides: {
          containerOverrides: [
            {
              env: [
                { name: 'MLOOP_RUN_ID', value: 'run-0123abcd'},
                { name: 'MLOOP_RUN_ATTEMPT', value: '2'},
                { name: 'MLOOP_TEST_JOB', value: 'env'},
              ],
            },
          ],
          taskCount: 1,
          timeout: { seconds: '900' },
        },
      },
    ]);
    expect(started).toMatchObject({ state: 'running' });
    expect(started.id).toMatch(/^mloop-train-[0-9a-f]{5}$/);
    const done = await waitFor(async () => {
      const execution = await jobs.status(started.id);
      return execution?.state === 'succeeded' && execution;
    }, 'the execution to succeed');
    expect(done).toMatchObject({ id: started.id, exitCode: 0 });
    // What the task saw: the job's configuration, the overrides and what Cloud Run sets for a task.
    const run = fake.executions.get(`${fake.jobName}/executions/${started.id}`)!;
    const seen = JSON.parse(fs.readFileSync(run.logFile, 'utf8').split('\n').find((line) => line.startsWith('{"env"'))!).env;
    expect(seen).toMatchObject({
      ...JOB_ENV,
      MLOOP_RUN_ID: 'run-0123abcd',
      MLOOP_RUN_ATTEMPT: '2',
      CLOUD_RUN_JOB: 'mloop-train',
      CLOUD_RUN_EXECUTION: started.id,
      CLOUD_RUN_TASK_INDEX: '0',
      CLOUD_RUN_TASK_COUNT: '1',
    });
  });

  test('a full resource name for the job is used as it is', async () => {
    const jobs = gcpPlatform({ MLOOP_TRAIN_JOB: fake.jobName, GOOGLE_CLOUD_REGION: 'us-central1' }).jobs;
    const before = runJobs().length;
    await jobs.launch({ runId: 'run-full', attempt: 1, env: { MLOOP_TEST_JOB: 'exit:0' } });
    expect(runJobs()[before].request.name).toBe(fake.jobName);
  });

  test('a job unknown to Cloud Run is not_found; bad specs never reach it', async () => {
    const jobs = gcpPlatform({ MLOOP_TRAIN_JOB: 'no-such-job' }).jobs;
    await expectCode(jobs.launch({ runId: 'run-x', attempt: 1, env: {} }), 'not_found');
    const before = fake.calls.length;
    await expectCode(jobs.launch({ runId: 'run x', attempt: 1, env: {} }), 'invalid_argument');
    await expectCode(jobs.launch({ runId: 'run-x', attempt: 0, env: {} }), 'invalid_argument');
    await expectCode(jobs.launch({ runId: 'run-x', attempt: 1, env: {}, timeoutSeconds: 0 }), 'invalid_argument');
    await expectCode(jobs.status('../../other'), 'invalid_argument');
    expect(fake.calls.length).toBe(before);
  });

  test('cancelling an execution that already ended leaves it as it ended', async () => {
    const jobs = gcpPlatform().jobs;
    const started = await jobs.launch({ runId: 'run-ended', attempt: 1, env: { MLOOP_TEST_JOB: 'exit:4' } });
    await waitFor(async () => (await jobs.status(started.id))?.state === 'failed', 'the execution to fail');
    await jobs.cancel(started.id);
    expect(await jobs.status(started.id)).toMatchObject({ state: 'failed', exitCode: 4, error: 'exit code 4' });
    await expectCode(jobs.cancel('mloop-train-zzzzz'), 'not_found');
  });

  test('a task killed by a signal fails with the signal', async () => {
    const jobs = gcpPlatform().jobs;
    const started = await jobs.launch({ runId: 'run-killed', attempt: 1, env: { MLOOP_TEST_JOB: 'self-kill' } });
    const done = await waitFor(async () => {
      const execution = await jobs.status(started.id);
      return execution?.state === 'failed' && execution;
    }, 'the execution to fail');
    expect(done.error).toMatch(/^killed by signal 9/);
    expect(done.exitCode).toBeUndefined();
  });
});

describe('CloudRunServiceDeployer on the Admin API', () => {
  const updates = () => fake.calls.filter((call) => call.method === 'UpdateService');
  const servingEnv = () => {
    const template = fake.currentService().template as { containers: Array<{ env: Array<{ name: string; value: string }> }> };
    return template.containers[0].env.map(({ name, value }) => [name, value]);
  };

  test('a promotion rolls a revision with MODEL_VERSION and MLOOP_MODEL, all traffic to it, nothing else changed', async () => {
    const { deployer } = gcpPlatform();
    const before = updates().length;
    const { revision } = await deployer.deploy('fraud', 'v3');
    expect(updates().length - before).toBe(1);
    const sent = updates()[before].request as { service: { template: { containers: Array<{ env: unknown }> }; traffic: unknown; etag: string } };
    expect(sent.service.template.containers[0].env).toEqual([
      ...Object.entries(SERVICE_ENV).map(([name, value]) => ({ name, value})),
      { name: 'MLOOP_MODEL', value: 'fraud'},
      { name: 'MODEL_VERSION', value: 'v3'},
    ]);
    expect(sent.service.traffic).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
    expect(revision).toMatch(/^mloop-score-\d{5}-[0-9a-f]{3}$/);
    expect(fake.currentService().latestReadyRevision).toBe(`${fake.serviceName}/revisions/${revision}`);
  });

  test('deploying what is served rolls nothing; a new version replaces the variable in place', async () => {
    const { deployer } = gcpPlatform();
    const first = await deployer.deploy('fraud', 'v4');
    const before = updates().length;
    expect(await deployer.deploy('fraud', 'v4')).toEqual(first);
    expect(updates().length).toBe(before);
    const next = await deployer.deploy('fraud', 'v5');
    expect(next.revision).not.toBe(first.revision);
    expect(servingEnv().filter(([name]) => name === 'MODEL_VERSION')).toEqual([['MODEL_VERSION', 'v5']]);
  });

  test('two promotions at once: the one whose etag went stale reads again and wins after', async () => {
    const [a, b] = [gcpPlatform().deployer, gcpPlatform().deployer];
    const before = fake.calls.length;
    const generation = Number(fake.currentService().generation);
    const results = await Promise.all([a.deploy('fraud', 'v6'), b.deploy('wine', 'v1')]);
    const calls = fake.calls.slice(before).map((call) => call.method);
    expect(calls.filter((method) => method === 'UpdateService')).toHaveLength(3);
    expect(calls.filter((method) => method === 'GetService')).toHaveLength(3);
    expect(new Set(results.map((r) => r.revision)).size).toBe(2);
    expect(Number(fake.currentService().generation)).toBe(generation + 2);
    const env = Object.fromEntries(servingEnv());
    expect(['fraud:v6', 'wine:v1']).toContain(`${env.MLOOP_MODEL}:${env.MODEL_VERSION}`);
  });

  test('with a canary, the new revision gets its share and the one serving before keeps the rest', async () => {
    const { deployer } = gcpPlatform({ MLOOP_CANARY_PERCENT: '10' });
    const serving = (name: unknown) => String(name).slice(String(name).lastIndexOf('/') + 1);
    const before = serving(fake.currentService().latestReadyRevision);
    const { revision } = await deployer.deploy('fraud', 'v7');
    expect(revision).not.toBe(before);
    expect(fake.currentService().traffic).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10 },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: before, percent: 90 },
    ]);
    const count = updates().length;
    expect(await deployer.deploy('fraud', 'v7')).toEqual({ revision });
    expect(updates().length).toBe(count);
    // The next promotion's canary sits beside the revision that was the canary.
    await deployer.deploy('fraud', 'v8');
    expect((fake.currentService().traffic as Array<{ revision?: string }>)[1].revision).toBe(revision);
    // And without a canary, all traffic goes back to the latest revision.
    await gcpPlatform().deployer.deploy('fraud', 'v8');
    expect(fake.currentService().traffic).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
  });

  test('a service unknown to Cloud Run is not_found', async () => {
    const { deployer } = gcpPlatform({ MLOOP_SCORE_SERVICE: 'no-such-service' });
    await expectCode(deployer.deploy('fraud', 'v1'), 'not_found');
  });
});
