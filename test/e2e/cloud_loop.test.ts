import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { configFor } from '../../shared/core/config';
import { TOPICS } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { fraudRows, writeFraudCsv } from '../../shared/data/synthetic';
import { COLLECTIONS, type ModelDoc, type RunDoc } from '../../shared/pipeline/store/documents';
import type { RegistryModel } from '../../shared/pipeline/read_models/registry_view';
import { createPlatform } from '../../shared/platform';
import { OFFLINE } from '../../shared/platform/gcp/offline';
import type { Platform } from '../../shared/platform/ports';
import { emulatedGcpEnv } from '../emulators/gcp_env';
import { emulatorHost } from '../emulators/hosts';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud_run_server';
import { startFakeGcs, type FakeGcs } from '../fakes/gcs_server';
import { ROOT, freePort, tempHome, until } from './helpers';

jest.setTimeout(300_000);

/**
 * The loop of `npm run demo`, deployed as on Google Cloud: each function a functions-framework server
 * of the built bundle (its own process and environment, as Terraform configures it), Pub/Sub push
 * subscriptions from the emulator to them, Firestore on its emulator, Cloud Storage on the fake JSON
 * API, the training job run by the fake Cloud Run server with the job's environment and the
 * execution's overrides. The upload reaches onDataUploaded as Eventarc posts a storage finalize event.
 */
const PROJECT = `mloop-e2e-${randomUUID().slice(0, 8)}`;
const REGION = 'europe-west4';
const DATA_BUCKET = 'mloop-e2e-data';
const ARTIFACTS_BUCKET = 'mloop-e2e-artifacts';
const MODEL = 'fraud';

// Where Pub/Sub pushes each topic, as terraform/pubsub.tf wires it.
const PUSHED = [
  { topic: TOPICS.trainingRequested, subscription: 'on-training-requested', target: 'onTrainingRequested' },
  { topic: TOPICS.trainingCompleted, subscription: 'on-training-completed', target: 'onTrainingCompleted' },
] as const;

const home = tempHome('mloop-cloud-e2e-');
let gcs: FakeGcs;
let run: FakeCloudRun;
let platform: Platform;
const functions = new Map<string, { url: string; process: ChildProcess; log: string }>();

function baseEnv(): Record<string, string> {
  return {
    ...emulatedGcpEnv({ project: PROJECT, region: REGION, dataBucket: DATA_BUCKET, artifactsBucket: ARTIFACTS_BUCKET, gcsEndpoint: gcs.url }),
    MLOOP_LOG_LEVEL: 'info',
    ...(run && { MLOOP_RUN_ENDPOINT: run.endpoint }),
  };
}

async function startFunction(target: string, env: Record<string, string>): Promise<void> {
  const port = await freePort();
  const log = path.join(home, `${target}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js')], {
    cwd: home,
    env: { ...baseEnv(), ...env, FUNCTION_TARGET: target, FUNCTION_SOURCE: ROOT, PORT: String(port), K_SERVICE: target },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  functions.set(target, { url, process: child, log });
  await until(`${target} to listen`, async () => (await fetch(url, { method: 'GET' }).catch(() => null)) !== null, 30_000, 100);
}

/** The logs of every function and job execution. */
function logFiles(): Array<{ file: string; text: string }> {
  const files = [...[...functions.values()].map((f) => f.log), ...[...(run?.executions.values() ?? [])].map((e) => e.logFile)];
  return files.map((file) => ({ file, text: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '' }));
}

/** The end of every log, for a failure to explain itself. */
function logs(): string {
  return logFiles().map(({ file, text }) => `--- ${file}\n${text.split('\n').slice(-30).join('\n')}`).join('\n');
}

async function eventually<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 180_000): Promise<T> {
  try {
    return await until(what, probe, timeoutMs, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${logs()}`);
  }
}

beforeAll(async () => {
  gcs = await startFakeGcs([DATA_BUCKET, ARTIFACTS_BUCKET]);
  run = await startFakeCloudRun({
    project: PROJECT,
    region: REGION,
    // The job's own configuration (terraform/job.tf); the run id and attempt come as overrides.
    job: { name: 'mloop-train', script: path.join(ROOT, 'dist', 'jobs', 'train.js'), env: { ...baseEnv(), MLOOP_TRAIN_EPOCHS: '5' }, timeoutSeconds: 600 },
    service: { name: 'mloop-score', image: 'europe-docker.pkg.dev/p/mloop/functions:1', env: { MLOOP_PLATFORM: 'gcp' } },
  });

  // What Terraform creates: topics with dead-letter topics, and push subscriptions to the functions.
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulatorHost('pubsub'), emulatorMode: true, ...OFFLINE });
  for (const topic of Object.values(TOPICS).filter((t) => t !== TOPICS.objectFinalized)) {
    await pubsub.createTopic(topic);
    const [dead] = await pubsub.createTopic(`${topic}-dead-letter`);
    await dead.createSubscription(`${topic}-dead-letter`);
  }
  await Promise.all([
    startFunction('onDataUploaded', {}),
    startFunction('onTrainingRequested', { MLOOP_DISPATCH: 'launch', MLOOP_MAX_PARALLEL_JOBS: '1' }),
    startFunction('onTrainingCompleted', { MLOOP_DISPATCH: 'announce' }),
    startFunction('score', {}),
    startFunction('dashboard', {}),
  ]);
  for (const { topic, subscription, target } of PUSHED) {
    await pubsub.topic(topic).createSubscription(subscription, {
      ackDeadlineSeconds: 600,
      pushConfig: { pushEndpoint: `${functions.get(target)!.url}/projects/${PROJECT}/topics/${topic}` },
      deadLetterPolicy: { deadLetterTopic: pubsub.topic(`${topic}-dead-letter`).name, maxDeliveryAttempts: 5 },
    });
  }
  await pubsub.close();
  platform = createPlatform(configFor(home, { ...baseEnv(), MLOOP_LOG_LEVEL: 'silent' }), createLogger('silent'));
});

afterAll(async () => {
  await Promise.all(
    [...functions.values()].map(
      ({ process: child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await platform?.close();
  await run?.close();
  await gcs?.close();
  await fetch(`http://${emulatorHost('firestore')}/emulator/v1/projects/${PROJECT}/databases/(default)/documents`, { method: 'DELETE' });
  fs.rmSync(home, { recursive: true, force: true });
});

/** Cloud Storage's finalize notification for an object, as Eventarc delivers it: a binary-mode CloudEvent. */
async function postFinalize(bucket: string, name: string): Promise<Response> {
  const object = await (await fetch(`${gcs.url}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`)).json();
  return fetch(functions.get('onDataUploaded')!.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.storage.object.v1.finalized',
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${bucket}`,
      'ce-subject': `objects/${name}`,
      'ce-id': `${object.generation}`,
      'ce-time': object.updated,
    },
    body: JSON.stringify(object),
  });
}

describe('the loop on Google Cloud, emulated', () => {
  let production: ModelDoc;

  test('an upload finalized in the bucket trains, evaluates and promotes a model, with nobody touching anything', async () => {
    const csv = path.join(home, 'transactions.csv');
    await writeFraudCsv(csv, { rows: 20_000, seed: 1 });
    await platform.objects.putFile(DATA_BUCKET, `datasets/${MODEL}/transactions.csv`, csv);
    const accepted = await postFinalize(DATA_BUCKET, `datasets/${MODEL}/transactions.csv`);
    expect(accepted.status).toBeLessThan(300);

    production = await eventually('the first model in production', async () => {
      const model = await platform.docs.get<ModelDoc>(COLLECTIONS.models, MODEL);
      return model?.production_version ? model : null;
    });
    expect(production.production_version).toBe('v1');
    const runs = await platform.docs.query<RunDoc>(COLLECTIONS.runs, { where: [['model', '==', MODEL]] });
    expect(runs.map((r) => [r.data.status, r.data.model_version, r.data.attempt])).toEqual([['succeeded', 'v1', 1]]);
    expect(runs[0].data.promoted).toBe(true);
    expect(runs[0].data.metrics?.auc).toBeGreaterThan(0.8);
    expect(runs[0].data.executions[0].id).toMatch(/^mloop-train-[0-9a-f]{5}$/);
  });

  test('the job ran on Cloud Run with the run as overrides, and the promotion rolled a scoring revision', async () => {
    const runJobs = run.calls.filter((call) => call.method === 'RunJob');
    expect(runJobs).toHaveLength(1);
    const env = Object.fromEntries(
      ((runJobs[0].request.overrides as { containerOverrides: Array<{ env: Array<{ name: string; value: string }> }> }).containerOverrides[0].env).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ MLOOP_RUN_ATTEMPT: '1', MLOOP_RUN_ID: expect.stringMatching(/^run-/) });
    // The registry moves first; the rollout follows it, in the same handler.
    const served = await eventually('the scoring revision of v1', async () => {
      const template = run.currentService().template as { containers: Array<{ env: Array<{ name: string; value: string }> }> };
      const env = Object.fromEntries(template.containers[0].env.map((e) => [e.name, e.value]));
      return env.MODEL_VERSION ? env : null;
    }, 30_000);
    expect(served).toMatchObject({ MLOOP_MODEL: MODEL, MODEL_VERSION: 'v1' });
    expect(run.calls.filter((call) => call.method === 'UpdateService')).toHaveLength(1);
    expect(run.unexpected).toEqual([]);
    expect(gcs.unexpected).toEqual([]);
  });

  test('the artifacts are in the artifacts bucket', async () => {
    const names = (await platform.objects.list(ARTIFACTS_BUCKET, `models/${MODEL}/v1/`)).map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining([`models/${MODEL}/v1/model.onnx`, `models/${MODEL}/v1/manifest.json`]));
  });

  test('the score function serves the promoted model over HTTP', async () => {
    const instances = [...fraudRows(5, 77)];
    const scored = await eventually('the score function to answer', async () => {
      const response = await fetch(`${functions.get('score')!.url}/score/${MODEL}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances }),
      });
      return response.status === 200 ? ((await response.json()) as { model_version: string; predictions: Array<{ score: number }> }) : null;
    }, 60_000);
    expect(scored.model_version).toBe('v1');
    expect(scored.predictions).toHaveLength(5);
    for (const p of scored.predictions) expect(p.score).toBeGreaterThanOrEqual(0);
  });

  test('the dashboard function shows the page and, from Firestore, v1 in production', async () => {
    const { url } = functions.get('dashboard')!;
    const page = await fetch(`${url}/`);
    expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('<main id="view">')]);
    const registry = (await (await fetch(`${url}/api/registry`)).json()) as RegistryModel[];
    expect(registry.map((m) => [m.name, m.production_version, m.versions.map((v) => [v.version, v.stage])])).toEqual([[MODEL, 'v1', [['v1', 'production']]]]);
  });

  test('a redelivered finalize event changes nothing', async () => {
    const again = await postFinalize(DATA_BUCKET, `datasets/${MODEL}/transactions.csv`);
    expect(again.status).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const runs = await platform.docs.query<RunDoc>(COLLECTIONS.runs, { where: [['model', '==', MODEL]] });
    expect(runs).toHaveLength(1);
    expect(run.calls.filter((call) => call.method === 'RunJob')).toHaveLength(1);
    expect(await platform.bus.deadLetters()).toEqual([]);
  });

  test('no function and no job logged an error', () => {
    const errors = logFiles().flatMap(({ text }) => text.split('\n').filter((line) => line.includes('"severity":"ERROR"')));
    expect(errors).toEqual([]);
  });
});
