import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { configFor } from '../../shared/core/config';
import { TOPICS } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { FRAUD_COLUMNS, fraudRows, writeFraudCsv } from '../../shared/data/synthetic';
import { COLLECTIONS, type DatasetDoc, type ModelDoc, type RunDoc } from '../../shared/pipeline/store/documents';
import type { RegistryModel } from '../../shared/pipeline/read_models/registry_view';
import { createPlatform } from '../../shared/platform';
import { OFFLINE } from '../../shared/platform/gcp/offline';
import type { Platform } from '../../shared/platform/ports';
import { emulatedGcpEnv } from '../emulators/gcp_env';
import { emulatorHost } from '../emulators/hosts';
import { startFakeBigQuery, type FakeBigQuery } from '../fakes/bigquery_server';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud_run_server';
import { startFakeGcs, type FakeGcs } from '../fakes/gcs_server';
import { ROOT, freePort, tempHome, until } from './helpers';

jest.setTimeout(300_000);

/**
 * The loop of `npm run demo`, deployed as on Google Cloud: each function a functions-framework server
 * of its own built bundle (its own process and environment, as Terraform configures it), Pub/Sub push
 * subscriptions from the emulator to them, Firestore on its emulator, Cloud Storage on the fake JSON
 * API, the training job run by the fake Cloud Run server with the job's environment and the
 * execution's overrides. The upload reaches onDataUploaded as Eventarc posts a storage finalize event.
 * The scoring service is the fake's: each revision a functions-framework process of the score bundle
 * with that revision's environment, reached through a front end that splits requests by the traffic.
 */
const PROJECT = `mloop-e2e-${randomUUID().slice(0, 8)}`;
const REGION = 'europe-west4';
const DATA_BUCKET = 'mloop-e2e-data';
const ARTIFACTS_BUCKET = 'mloop-e2e-artifacts';
const MODEL = 'fraud';

const CANARY_PERCENT = '10';

// Where Pub/Sub pushes each topic, as terraform/pubsub.tf wires it.
const PUSHED = [
  { topic: TOPICS.trainingRequested, subscription: 'on-training-requested', target: 'onTrainingRequested' },
  { topic: TOPICS.runSlotFreed, subscription: 'on-run-slot-freed', target: 'onRunSlotFreed' },
  { topic: TOPICS.trainingCompleted, subscription: 'on-training-completed', target: 'onTrainingCompleted' },
  { topic: TOPICS.modelPromoted, subscription: 'on-model-promoted', target: 'onModelPromoted' },
] as const;

// Each function's own bundle, as Terraform deploys it.
const BUNDLES: Record<string, string> = {
  onDataUploaded: 'on_data_uploaded',
  onTrainingRequested: 'on_training_requested',
  onRunSlotFreed: 'on_run_slot_freed',
  onTrainingCompleted: 'on_training_completed',
  onModelPromoted: 'on_model_promoted',
  dashboard: 'dashboard',
  score: 'score',
};

const home = tempHome('mloop-cloud-e2e-');
let gcs: FakeGcs;
let bq: FakeBigQuery;
let run: FakeCloudRun;
let platform: Platform;
let scoreUrl: string;
const functions = new Map<string, { url: string; process: ChildProcess; log: string }>();

function baseEnv(): Record<string, string> {
  return {
    ...emulatedGcpEnv({ project: PROJECT, region: REGION, dataBucket: DATA_BUCKET, artifactsBucket: ARTIFACTS_BUCKET, gcsEndpoint: gcs.url }),
    MLOOP_LOG_LEVEL: 'info',
    ...(run && { MLOOP_RUN_ENDPOINT: run.endpoint }),
    ...(bq && { MLOOP_BIGQUERY_ENDPOINT: bq.url }),
  };
}

/** A functions-framework server of the entry point's own bundle; `key` names it among the processes. */
async function startFunction(target: string, env: Record<string, string>, key = target): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const log = path.join(home, `${key}.log`);
  const out = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js')], {
    cwd: home,
    env: { ...baseEnv(), ...env, FUNCTION_TARGET: target, FUNCTION_SOURCE: path.join(ROOT, 'dist', 'functions', `${BUNDLES[target]}.js`), PORT: String(port), K_SERVICE: target },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  functions.set(key, { url, process: child, log });
  await until(`${key} to listen`, async () => (await fetch(url, { method: 'GET' }).catch(() => null)) !== null, 30_000, 100);
  return { url, stop: () => stopProcess(child) };
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
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
  bq = await startFakeBigQuery(PROJECT, gcs.objects, { rowsPerFile: 2000 });
  run = await startFakeCloudRun({
    project: PROJECT,
    region: REGION,
    // The job's own configuration (terraform/job.tf); the run id and attempt come as overrides.
    job: { name: 'mloop-train', script: path.join(ROOT, 'dist', 'jobs', 'train.js'), env: { ...baseEnv(), MLOOP_TRAIN_EPOCHS: '5' }, timeoutSeconds: 600 },
    // As terraform/score_service.tf creates it: the first revision serves nothing.
    service: {
      name: 'mloop-score',
      image: 'europe-docker.pkg.dev/p/mloop/score:1',
      env: { MLOOP_PLATFORM: 'gcp', MLOOP_PREDICTION_SAMPLE: '1', MLOOP_SERVED_MODELS: '', MLOOP_SHADOW_MODELS: '' },
      startupProbePath: '/v2/health/ready',
      // Cloud Run runs the image with the revision's environment and names the revision in K_REVISION.
      startRevision: (revision, env) => startFunction('score', { ...env, K_REVISION: revision }, revision),
    },
  });
  scoreUrl = await run.scoring.listen();

  // What Terraform creates: topics with dead-letter topics, and push subscriptions to the functions.
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulatorHost('pubsub'), emulatorMode: true, ...OFFLINE });
  for (const topic of Object.values(TOPICS).filter((t) => t !== TOPICS.objectFinalized)) {
    await pubsub.createTopic(topic);
    const [dead] = await pubsub.createTopic(`${topic}-dead-letter`);
    await dead.createSubscription(`${topic}-dead-letter`);
  }
  await Promise.all([
    startFunction('onDataUploaded', {}),
    startFunction('onTrainingRequested', { MLOOP_MAX_PARALLEL_JOBS: '1' }),
    startFunction('onRunSlotFreed', { MLOOP_MAX_PARALLEL_JOBS: '1' }),
    startFunction('onTrainingCompleted', { MLOOP_CANARY_PERCENT: CANARY_PERCENT }),
    startFunction('onModelPromoted', { MLOOP_SCORE_SERVICE: 'mloop-score' }),
    startFunction('dashboard', { MLOOP_CANARY_PERCENT: CANARY_PERCENT }),
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
  await run?.close();
  await Promise.all([...functions.values()].map(({ process: child }) => stopProcess(child)));
  await platform?.close();
  await bq?.close();
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

/** The revision serving exactly these versions once it has all the traffic or a canary share of it. */
async function servedBy(models: Record<string, string>): Promise<string> {
  const wanted = Object.entries(models).map(([m, v]) => `${m}=${v}`).sort().join(',');
  return eventually(`a revision serving ${wanted} with traffic`, async () => {
    const revision = run.scoring.revisionEnv().find((r) => r.env.MLOOP_SERVED_MODELS === wanted)?.revision;
    return revision && run.scoring.traffic().some((t) => t.revision === revision) ? revision : null;
  });
}

interface Answer {
  version: string;
  revision: string;
  servedBy: string;
  predictions: Array<{ score: number }>;
}

/** `n` scoring requests through the service's front end, one after another. */
async function scoreMany(n: number): Promise<Answer[]> {
  const instances = [...fraudRows(5, 77)];
  const answers: Answer[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${scoreUrl}/score/${MODEL}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
    if (response.status !== 200) throw new Error(`scoring answered ${response.status}: ${await response.text()}\n${logs()}`);
    const body = (await response.json()) as { model_version: string; predictions: Array<{ score: number }> };
    answers.push({ version: body.model_version, revision: response.headers.get('x-fake-revision')!, servedBy: response.headers.get('x-served-by')!, predictions: body.predictions });
  }
  return answers;
}

let v1Revision: string;
let v2Revision: string;

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

  test('the job ran on Cloud Run with the run as overrides, and onModelPromoted deployed a revision serving v1', async () => {
    const runJobs = run.calls.filter((call) => call.method === 'RunJob');
    expect(runJobs).toHaveLength(1);
    const env = Object.fromEntries(
      ((runJobs[0].request.overrides as { containerOverrides: Array<{ env: Array<{ name: string; value: string }> }> }).containerOverrides[0].env).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({ MLOOP_RUN_ATTEMPT: '1', MLOOP_RUN_ID: expect.stringMatching(/^run-/) });
    // The registry moves first; model-promoted reaches onModelPromoted, which deploys.
    v1Revision = await servedBy({ fraud: 'v1' });
    expect(run.scoring.traffic()).toEqual([{ revision: v1Revision, percent: 100 }]);
    // The revision Terraform created, then v1's: no other.
    expect(run.scoring.revisionEnv().map((r) => r.env.MLOOP_SERVED_MODELS)).toEqual(['', 'fraud=v1']);
    expect(run.unexpected).toEqual([]);
    expect(gcs.unexpected).toEqual([]);
  });

  test('the artifacts are in the artifacts bucket', async () => {
    const names = (await platform.objects.list(ARTIFACTS_BUCKET, `models/${MODEL}/v1/`)).map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining([`models/${MODEL}/v1/model.onnx`, `models/${MODEL}/v1/manifest.json`]));
  });

  test('the scoring service answers with v1, naming the revision that served it', async () => {
    const answers = await scoreMany(5);
    expect(answers.map((a) => [a.version, a.revision, a.servedBy])).toEqual(Array.from({ length: 5 }, () => ['v1', v1Revision, v1Revision]));
    expect(answers[0].predictions).toHaveLength(5);
    for (const p of answers[0].predictions) expect(p.score).toBeGreaterThanOrEqual(0);
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

  test('v2 is promoted as a 10 % canary: a revision of its own gets exactly 10 % of the requests, v1\'s revision the rest', async () => {
    const csv = path.join(home, 'transactions-2.csv');
    await writeFraudCsv(csv, { rows: 20_000, seed: 2 });
    await platform.objects.putFile(DATA_BUCKET, `datasets/${MODEL}/day2.csv`, csv);
    expect((await postFinalize(DATA_BUCKET, `datasets/${MODEL}/day2.csv`)).status).toBeLessThan(300);
    const v2Run = await eventually('the v2 run to finish', async () => {
      const runs = await platform.docs.query<RunDoc>(COLLECTIONS.runs, { where: [['model', '==', MODEL]] });
      return runs.find((r) => r.data.model_version === 'v2' && r.data.status === 'succeeded' && r.data.decision_id);
    });
    // Promoted by onTrainingCompleted when it beat v1, else by hand from the dashboard: a canary either way.
    if (!v2Run.data.promoted) {
      const promoted = await fetch(`${functions.get('dashboard')!.url}/api/models/${MODEL}/versions/v2/promote`, { method: 'POST' });
      expect(promoted.status).toBe(200);
    }
    v2Revision = await servedBy({ fraud: 'v2' });
    const split = [{ revision: v2Revision, percent: 10 }, { revision: v1Revision, percent: 90 }];
    await eventually('the canary split', async () => JSON.stringify(run.scoring.traffic()) === JSON.stringify(split) || null, 60_000);
    const model = await platform.docs.get<ModelDoc>(COLLECTIONS.models, MODEL);
    expect(model).toMatchObject({ production_version: 'v2', canary: { version: 'v2', previous_version: 'v1', percent: 10 } });

    const answers = await scoreMany(100);
    const byVersion = answers.reduce<Record<string, number>>((n, a) => ({ ...n, [a.version]: (n[a.version] ?? 0) + 1 }), {});
    expect(byVersion).toEqual({ v1: 90, v2: 10 });
    for (const a of answers) expect([a.revision, a.servedBy, a.version]).toEqual([a.revision, a.revision, a.revision === v2Revision ? 'v2' : 'v1']);
  });

  test('completing the canary gives v2 all the traffic on the same revision; rolling back gives it back to v1\'s, with no new revision', async () => {
    const revisions = run.scoring.revisions.size;
    const dashboard = functions.get('dashboard')!.url;
    expect((await fetch(`${dashboard}/api/models/${MODEL}/canary/complete`, { method: 'POST' })).status).toBe(200);
    await eventually('all traffic on v2', async () => JSON.stringify(run.scoring.traffic()) === JSON.stringify([{ revision: v2Revision, percent: 100 }]) || null, 60_000);
    expect(new Set((await scoreMany(20)).map((a) => `${a.version}@${a.revision}`))).toEqual(new Set([`v2@${v2Revision}`]));

    expect((await fetch(`${dashboard}/api/models/${MODEL}/rollback`, { method: 'POST' })).status).toBe(200);
    await eventually('all traffic back on v1', async () => JSON.stringify(run.scoring.traffic()) === JSON.stringify([{ revision: v1Revision, percent: 100 }]) || null, 60_000);
    expect(new Set((await scoreMany(20)).map((a) => `${a.version}@${a.revision}`))).toEqual(new Set([`v1@${v1Revision}`]));
    expect(run.scoring.revisions.size).toBe(revisions);
    expect((await platform.docs.get<ModelDoc>(COLLECTIONS.models, MODEL))?.production_version).toBe('v1');

    // What the service went through, as the fake recorded it.
    const pinned = (traffic: Array<{ revision?: string; percent: number }>) => traffic.map((t) => `${t.revision ?? 'latest'}:${t.percent}`).join(',');
    const [first] = run.scoring.revisionEnv();
    expect(run.scoring.trafficHistory.map(pinned)).toEqual([
      'latest:100',
      // Pinned to the revision serving, so that v1's revision gets no traffic before it is ready.
      `${first.revision}:100`,
      `${v1Revision}:100`,
      `${v2Revision}:10,${v1Revision}:90`,
      `${v2Revision}:100`,
      `${v1Revision}:100`,
    ]);
    expect(run.unexpected).toEqual([]);
  });

  test('no function and no job logged an error', () => {
    const errors = logFiles().flatMap(({ text }) => text.split('\n').filter((line) => line.includes('"severity":"ERROR"')));
    expect(errors).toEqual([]);
  });
});

/**
 * A model whose rows are in BigQuery, on the same deployment: its mloop.json landing in the data bucket
 * asks for a run, onTrainingRequested runs the table's snapshot query in BigQuery (the fake) and
 * exports it as Parquet into the data bucket, the job trains on the exported parts, and the model is
 * promoted. `mloop retrain` (POST /api/runs) asks for a new snapshot; a job BigQuery fails fails the
 * run, with BigQuery's message on it. After the loop above, whose logs must
 * hold no error: this failure logs one.
 */
describe('a BigQuery-sourced model on Google Cloud, emulated', () => {
  const BQ_MODEL = 'payments';
  const table = () => `${PROJECT}.payments.transactions`;

  beforeAll(async () => {
    const numeric = new Set(['step', 'amount', 'oldbalanceOrg', 'newbalanceOrig', 'oldbalanceDest', 'newbalanceDest', 'isFraud']);
    bq.tables.set(table(), {
      columns: FRAUD_COLUMNS.map((name) => ({ name, type: numeric.has(name) ? ('FLOAT64' as const) : ('STRING' as const) })),
      rows: [...fraudRows(6000, 11)].map((row) => ({ ...row })),
      since: new Date(Date.now() - 86_400_000),
    });
    await platform.objects.put(DATA_BUCKET, `datasets/${BQ_MODEL}/mloop.json`, JSON.stringify({ target: 'isFraud', source: { bigquery: { table: table() } } }));
  });

  async function retrain(reason: string): Promise<string> {
    const response = await fetch(`${functions.get('dashboard')!.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: BQ_MODEL, reason }) });
    const body = (await response.json()) as { run_id: string; dataset_version: string };
    expect([response.status, body.dataset_version]).toEqual([201, expect.stringMatching(/^bigquery@/)]);
    return body.run_id;
  }

  test('its mloop.json landing takes a snapshot in BigQuery, exports it as Parquet, trains on it and promotes the model', async () => {
    expect((await postFinalize(DATA_BUCKET, `datasets/${BQ_MODEL}/mloop.json`)).status).toBeLessThan(300);
    const model = await eventually('the BigQuery-sourced model in production', async () => {
      const doc = await platform.docs.get<ModelDoc>(COLLECTIONS.models, BQ_MODEL);
      return doc?.production_version ? doc : null;
    });
    expect(model.production_version).toBe('v1');
    const [done] = (await platform.docs.query<RunDoc>(COLLECTIONS.runs, { where: [['model', '==', BQ_MODEL]] })).map((r) => r.data);
    expect(done).toMatchObject({ status: 'succeeded', promoted: true, reason: 'source_changed', model_version: 'v1' });
    expect(done.metrics?.auc).toBeGreaterThan(0.8);
    const dataset = (await platform.docs.get<DatasetDoc>(COLLECTIONS.datasets, `${BQ_MODEL}:${done.dataset_version}`))!;
    expect(dataset).toMatchObject({ status: 'accepted', rows: 6000 });
    expect(dataset.bigquery!.query).toMatch(new RegExp(`^SELECT \\* FROM \`${table()}\` FOR SYSTEM_TIME AS OF TIMESTAMP '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\+00'$`));
    expect(dataset.bigquery!.files.map((f) => f.name.replace(/^bigquery\/payments\/[0-9a-f]{16}\//, ''))).toEqual(['part-000000000000.parquet', 'part-000000000001.parquet', 'part-000000000002.parquet']);
    const job = bq.jobs.get(dataset.bigquery!.job_id)!;
    expect(job.statement).toContain(`EXPORT DATA OPTIONS(uri='gs://${DATA_BUCKET}/bigquery/payments/`);
    expect(bq.unexpected).toEqual([]);
    expect(gcs.unexpected).toEqual([]);
  });

  test('a retrain asks for a new snapshot; a job BigQuery fails fails the run, with BigQuery\'s own message', async () => {
    const message = `Access Denied: Table ${PROJECT}:payments.transactions: User does not have permission to query table ${PROJECT}:payments.transactions, or perhaps it does not exist.`;
    bq.failNextJob({ reason: 'accessDenied', message });
    const runId = await retrain('after the permissions changed');
    const failed = await eventually('the run to fail', async () => {
      const doc = await platform.docs.get<RunDoc>(COLLECTIONS.runs, runId);
      return doc?.status === 'failed' ? doc : null;
    });
    expect(failed.error).toContain(`(accessDenied): ${message}`);
    expect((await platform.docs.get<ModelDoc>(COLLECTIONS.models, BQ_MODEL))?.production_version).toBe('v1');
    expect(bq.unexpected).toEqual([]);
  });
});
