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

  test("log() is the Cloud Logging filter of the execution's entries, with a console link, and calls nothing", async () => {
    const jobs = gcpPlatform().jobs;
    const before = fake.calls.length;
    const log = await jobs.log('mloop-train-abcde');
    expect(log).toEqual({
      kind: 'cloud_logging',
      filter: ['resource.type="cloud_run_job"', 'resource.labels.job_name="mloop-train"', `resource.labels.location="${REGION}"`, 'labels."run.googleapis.com/execution_name"="mloop-train-abcde"'].join('\n'),
      url: expect.stringMatching(new RegExp(`^https://console\\.cloud\\.google\\.com/logs/query;query=.+\\?project=${PROJECT}$`)),
    });
    expect(decodeURIComponent(log!.kind === 'cloud_logging' ? log!.url.split('query=')[1].split('?')[0] : '')).toBe(log!.kind === 'cloud_logging' ? log!.filter : '');
    expect(fake.calls.length).toBe(before);
    await expectCode(jobs.log('Not An Id'), 'invalid_argument');
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
  const served = (models: Record<string, string>, shadows: Record<string, string> = {}) => ({ models, shadows });
  const revisionCount = () => fake.scoring.revisions.size;
  const envOf = (revision: string) => fake.scoring.revisionEnv().find((r) => r.revision === revision)!.env;

  test('a first deployment creates a revision with the served versions in its env, then gives it all the traffic; nothing else changes', async () => {
    const { deployer } = gcpPlatform();
    const before = updates().length;
    const deployment = await deployer.deploy({ target: served({ fraud: 'v1' }) });
    expect(deployment.created).toEqual([deployment.revision]);
    expect(deployment.revision).toMatch(/^mloop-score-\d{5}-[0-9a-f]{3}$/);
    const sent = updates().slice(before).map((call) => call.request.service as { template: { containers: Array<{ env: unknown }> }; traffic: unknown });
    expect(sent).toHaveLength(2);
    // Created with the traffic as it was, pinned: the new revision gets none until it is ready.
    const [first] = fake.scoring.revisionEnv();
    expect(sent[0].traffic).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first.revision, percent: 100 }]);
    expect(sent[0].template.containers[0].env).toEqual([
      ...Object.entries(SERVICE_ENV).map(([name, value]) => ({ name, value })),
      { name: 'MLOOP_SERVED_MODELS', value: 'fraud=v1' },
      { name: 'MLOOP_SHADOW_MODELS', value: '' },
    ]);
    expect(sent[1].traffic).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: deployment.revision, percent: 100 }]);
    expect(envOf(deployment.revision)).toMatchObject({ ...SERVICE_ENV, MLOOP_SERVED_MODELS: 'fraud=v1' });
    expect(fake.scoring.traffic()).toEqual([{ revision: deployment.revision, percent: 100 }]);
  });

  test('deploying what is served changes nothing; the same versions in another order are the same set', async () => {
    const { deployer } = gcpPlatform();
    const first = await deployer.deploy({ target: served({ fraud: 'v2', wine: 'v1' }) });
    const before = updates().length;
    expect(await deployer.deploy({ target: served({ wine: 'v1', fraud: 'v2' }) })).toEqual({ ...first, created: [] });
    expect(updates().length).toBe(before);
  });

  test('a canary: the new revision gets its share and the revision serving the stable set the rest; complete moves all to it without a new revision', async () => {
    const { deployer } = gcpPlatform();
    const stable = await deployer.deploy({ target: served({ fraud: 'v3' }) });
    const revisions = revisionCount();
    const canary = await deployer.deploy({ target: served({ fraud: 'v4' }), canary: { percent: 10, stable: served({ fraud: 'v3' }) } });
    expect(canary.created).toEqual([canary.revision]);
    expect(revisionCount()).toBe(revisions + 1);
    expect(envOf(canary.revision).MLOOP_SERVED_MODELS).toBe('fraud=v4');
    expect(fake.scoring.traffic()).toEqual([
      { revision: canary.revision, percent: 10 },
      { revision: stable.revision, percent: 90 },
    ]);
    const completed = await deployer.deploy({ target: served({ fraud: 'v4' }) });
    expect(completed).toEqual({ revision: canary.revision, traffic: [{ revision: canary.revision, percent: 100 }], created: [] });
    expect(revisionCount()).toBe(revisions + 1);
    expect(fake.scoring.traffic()).toEqual([{ revision: canary.revision, percent: 100 }]);
  });

  test('a rollback or an aborted canary only moves traffic back to the revision that served those versions', async () => {
    const { deployer } = gcpPlatform();
    const v5 = await deployer.deploy({ target: served({ fraud: 'v5' }) });
    const v6 = await deployer.deploy({ target: served({ fraud: 'v6' }), canary: { percent: 25, stable: served({ fraud: 'v5' }) } });
    const revisions = revisionCount();
    const before = updates().length;
    const back = await deployer.deploy({ target: served({ fraud: 'v5' }) });
    expect(back).toEqual({ revision: v5.revision, traffic: [{ revision: v5.revision, percent: 100 }], created: [] });
    expect(revisionCount()).toBe(revisions);
    const sent = updates().slice(before).map((call) => call.request.service as { template: { containers: Array<{ env: Array<{ name: string; value: string }> }> } });
    expect(sent).toHaveLength(1);
    // The template is sent back as it was (the canary's): only the traffic moved.
    expect(sent[0].template.containers[0].env).toContainEqual({ name: 'MLOOP_SERVED_MODELS', value: 'fraud=v6' });
    expect(fake.scoring.trafficHistory.slice(-2)).toEqual([
      [
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: v6.revision, percent: 25 },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: v5.revision, percent: 75 },
      ],
      [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: v5.revision, percent: 100 }],
    ]);
  });

  test('a challenger is served in shadow by the revision, named in its own variable', async () => {
    const { revision } = await gcpPlatform().deployer.deploy({ target: served({ fraud: 'v7' }, { fraud: 'v8' }) });
    expect(envOf(revision)).toMatchObject({ MLOOP_SERVED_MODELS: 'fraud=v7', MLOOP_SHADOW_MODELS: 'fraud=v8' });
  });

  test('two deployments at once: the one whose etag went stale reads again, and both end on revisions of their own', async () => {
    const [a, b] = [gcpPlatform().deployer, gcpPlatform().deployer];
    const results = await Promise.all([a.deploy({ target: served({ fraud: 'v9' }) }), b.deploy({ target: served({ wine: 'v2' }) })]);
    expect(new Set(results.map((r) => r.revision)).size).toBe(2);
    expect(fake.unexpected).toEqual([]);
    const last = fake.scoring.traffic();
    expect(last).toHaveLength(1);
    expect(results.map((r) => r.revision)).toContain(last[0].revision);
  });

  test('a service unknown to Cloud Run is not_found', async () => {
    const { deployer } = gcpPlatform({ MLOOP_SCORE_SERVICE: 'no-such-service' });
    await expectCode(deployer.deploy({ target: served({ fraud: 'v1' }) }), 'not_found');
  });
});
