/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { buildSync } from 'esbuild';
import pino from 'pino';
import { configFor } from '../../shared/core/config';
import { TOPICS } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { Context } from '../../shared/pipeline/context';
import { COLLECTIONS, type DatasetDoc, type DecisionDoc, type ModelDoc, type ModelVersionDoc, type RunDoc } from '../../shared/pipeline/store/documents';
import { SUBSCRIPTIONS } from '../../shared/pipeline/handlers';
import { createPlatform } from '../../shared/platform';
import { OFFLINE } from '../../shared/platform/gcp/offline';
import { ATTR } from '../../shared/platform/gcp/pubsub_messages';
import type { BusMessage, Platform, Subscription } from '../../shared/platform/ports';
import { testProject } from '../contract/gcp_fixtures';
import { ROOT, tempHome, until } from '../e2e/helpers';
import { emulatedGcpEnv } from '../emulators/gcp_env';
import { emulatorHost } from '../emulators/hosts';
import { startFakeCloudRun, type FakeCloudRun } from '../fakes/cloud_run_server';

jest.setTimeout(300_000);

const REGION = 'europe-west4';
const DATA_BUCKET = 'mloop-dup-data';
const ARTIFACTS_BUCKET = 'mloop-dup-artifacts';
const MODEL = 'fraud';
// Pub/Sub's shortest ack deadline; the client library leases streaming-pull messages for as long.
const ACK_DEADLINE_SECONDS = 10;
// A stall of the consumer's whole process (a long GC pause, a starved CPU) that outlasts the ack
// deadline: the client library cannot extend the lease, so Pub/Sub hands the message out again.
const STALL_MS = (ACK_DEADLINE_SECONDS + 4) * 1000;
// The topics whose first delivery stalls mid-handling, so that their redelivery runs beside it.
const STALLED: readonly string[] = [TOPICS.objectFinalized, TOPICS.trainingRequested, TOPICS.trainingCompleted];
const QUIET_MS = 3000;
const TAP = 'tap-';

interface Delivery {
  topic: string;
  id: string;
  attempt: number;
  startedAt: number;
  endedAt?: number;
  error?: string;
}

interface Captured {
  topic: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishedAt: number;
  seq: number;
}

/** The fake Cloud Storage server in a process of its own, which the stalls of this one do not stop. */
async function startGcsProcess(dir: string, buckets: string[]): Promise<{ url: string; child: ChildProcess }> {
  const script = path.join(dir, 'gcs_process.js');
  buildSync({ entryPoints: [path.join(__dirname, 'gcs_process.ts')], outfile: script, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'warning' });
  const child = spawn(process.execPath, [script, ...buckets], {
    env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await until('the fake Cloud Storage server', () => /listening (\S+)\n/.exec(out)?.[1], 30_000, 50);
  return { url, child };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The whole thread stops, timers and sockets included, as a process does that is not scheduled. */
function stallThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The loop's event handling as on Google Cloud — Pub/Sub (emulator) feeding the shared handlers over
 * the adapter's streaming pull, Firestore (emulator), Cloud Storage (fake JSON API) and the training
 * job run by the fake Cloud Run server — in a project of its own, so that two loops never meet.
 */
class CloudLoop {
  readonly deliveries: Delivery[] = [];
  readonly captured: Captured[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly taps: ReturnType<PubSub['subscription']>[] = [];
  private readonly stalled = new Set<string>();
  private pubsub!: PubSub;
  private gcs!: { url: string; child: ChildProcess };
  run!: FakeCloudRun;
  platform!: Platform;
  private ctx!: Context;
  private seq = 0;
  private lastActivity = Date.now();

  private constructor(
    readonly label: string,
    readonly home: string,
    private readonly stall: boolean,
  ) {}

  static async start(label: string, stall: boolean): Promise<CloudLoop> {
    const loop = new CloudLoop(label, tempHome(`mloop-pubsub-dup-${label}-`), stall);
    await loop.init(testProject(`dup-${label}`));
    return loop;
  }

  private async init(project: string): Promise<void> {
    this.gcs = await startGcsProcess(this.home, [DATA_BUCKET, ARTIFACTS_BUCKET]);
    const env = (extra: Record<string, string> = {}): Record<string, string> => ({
      ...emulatedGcpEnv({ project, region: REGION, dataBucket: DATA_BUCKET, artifactsBucket: ARTIFACTS_BUCKET, gcsEndpoint: this.gcs.url }),
      MLOOP_ACK_DEADLINE_SECONDS: String(ACK_DEADLINE_SECONDS),
      MLOOP_LOG_LEVEL: 'info',
      ...extra,
    });
    this.run = await startFakeCloudRun({
      project,
      region: REGION,
      job: { name: 'mloop-train', script: path.join(ROOT, 'dist', 'jobs', 'train.js'), env: env(), timeoutSeconds: 600 },
      service: { name: 'mloop-score', image: 'europe-docker.pkg.dev/p/mloop/functions:1', env: { MLOOP_PLATFORM: 'gcp' } },
    });
    const config = configFor(this.home, env({ MLOOP_RUN_ENDPOINT: this.run.endpoint }));
    const log = createLogger('info', { component: this.label }, pino.destination({ dest: path.join(this.home, 'loop.log'), sync: true }));
    this.platform = createPlatform(config, log);
    this.ctx = { platform: this.platform, config, log };
    this.pubsub = new PubSub({ projectId: project, apiEndpoint: emulatorHost('pubsub'), emulatorMode: true, ...OFFLINE });

    const options = { maxDeliveryAttempts: config.eventMaxAttempts, ackDeadlineSeconds: config.ackDeadlineSeconds };
    for (const { topic, subscription } of SUBSCRIPTIONS) await this.platform.bus.ensureSubscription(topic, subscription, options);
    // A subscription of its own on every topic keeps a copy of each message the loop publishes.
    for (const topic of Object.values(TOPICS)) {
      await this.platform.bus.ensureSubscription(topic, `${TAP}${topic}`, options);
      const tap = this.pubsub.subscription(`${TAP}${topic}`);
      tap.on('message', (message: Message) => {
        // A stall can make the tap itself get a message twice; it is kept once.
        if (this.captured.some((c) => c.attributes[ATTR.id] === message.attributes[ATTR.id])) return message.ack();
        this.captured.push({ topic, data: message.data, attributes: { ...message.attributes }, publishedAt: message.publishTime.getTime(), seq: this.seq++ });
        message.ack();
      });
      this.taps.push(tap);
    }
    for (const { topic, subscription, handle } of SUBSCRIPTIONS) {
      this.subscriptions.push(await this.platform.bus.subscribe(subscription, (message) => this.deliver(topic, message, handle)));
    }
  }

  private async deliver(topic: string, message: BusMessage, handle: (ctx: Context, data: unknown) => Promise<void>): Promise<void> {
    const delivery: Delivery = { topic, id: message.id, attempt: message.deliveryAttempt, startedAt: Date.now() };
    this.deliveries.push(delivery);
    this.lastActivity = Date.now();
    try {
      const handling = handle(this.ctx, message.data);
      if (this.stall && STALLED.includes(topic) && !this.stalled.has(topic)) {
        this.stalled.add(topic);
        // The handler has begun, up to its first await, when the process stops.
        await new Promise((resolve) => setImmediate(resolve));
        stallThread(STALL_MS);
      }
      await handling;
    } catch (err) {
      delivery.error = String(err);
      throw err;
    } finally {
      delivery.endedAt = Date.now();
      this.lastActivity = Date.now();
    }
  }

  async upload(file: string): Promise<void> {
    const name = `datasets/${MODEL}/${path.basename(file)}`;
    const stored = await this.platform.objects.putFile(DATA_BUCKET, name, file);
    // Eventarc's part: the finalize notification of the object, on the topic the loop consumes.
    await this.platform.bus.publish(TOPICS.objectFinalized, { ...stored }, { attributes: { model: MODEL } });
  }

  async putConfig(config: object): Promise<void> {
    await this.platform.objects.put(DATA_BUCKET, `datasets/${MODEL}/mloop.json`, JSON.stringify(config), { contentType: 'application/json' });
  }

  runs = async () => (await this.platform.docs.query<RunDoc>(COLLECTIONS.runs, {})).map((d) => d.data);

  /** Every run finished, no handler under way and none started for a while. */
  async settled(what: string, runs: number): Promise<void> {
    await until(
      `${what} (${this.label})`,
      async () => {
        const all = await this.runs();
        const finished = all.length === runs && all.every((r) => r.status === 'succeeded' || r.status === 'failed');
        const idle = this.deliveries.every((d) => d.endedAt !== undefined) && Date.now() - this.lastActivity > QUIET_MS;
        return finished && idle;
      },
      180_000,
      250,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${this.logs()}`);
    });
  }

  /** The captured messages, newest first, published again as they were: the same data and attributes, hence the same ids. */
  async replayReversed(): Promise<Captured[]> {
    await Promise.all(this.taps.map((tap) => tap.close()));
    const messages = [...this.captured].sort((a, b) => b.publishedAt - a.publishedAt || b.seq - a.seq);
    for (const message of messages) await this.pubsub.topic(message.topic).publishMessage({ data: message.data, attributes: message.attributes });
    return messages;
  }

  /** The documents without what differs by the moment: times, durations, generations. */
  async snapshot() {
    const { docs } = this.platform;
    const datasets = await docs.query<DatasetDoc>(COLLECTIONS.datasets, {});
    const runs = await docs.query<RunDoc>(COLLECTIONS.runs, {});
    const models = await docs.query<ModelDoc>(COLLECTIONS.models, {});
    const versions = await docs.query<ModelVersionDoc>(COLLECTIONS.versions, {});
    const decisions = await docs.query<DecisionDoc>(COLLECTIONS.decisions, {});
    const byId = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => a.id.localeCompare(b.id));
    return {
      datasets: byId(datasets.map(({ id, data: d }) => ({ id, status: d.status, version: d.version, rows: d.rows, rejected: d.rejected_count, object: d.object.name, md5: d.object.md5Hash }))),
      runs: byId(
        runs.map(({ id, data: r }) => ({
          id,
          model_version: r.model_version,
          dataset_version: r.dataset_version,
          request_id: r.request_id,
          status: r.status,
          attempt: r.attempt,
          executions: r.executions.map((e) => e.attempt),
          promoted: r.promoted,
          decision_id: r.decision_id,
          superseded: r.superseded_decisions ?? [],
          metrics: r.metrics,
          error: r.error,
        })),
      ),
      models: byId(models.map(({ id, data: m }) => ({ id, production: m.production_version, previous: m.previous_version, next: m.next_version, aliases: m.aliases }))),
      versions: byId(
        versions.map(({ id, data: v }) => ({ id, stage: v.stage, run_id: v.run_id, dataset_version: v.dataset_version, decision_id: v.decision_id, metrics: v.metrics, history: (v.history ?? []).map((h) => h.to) })),
      ),
      decisions: byId(
        decisions.map(({ id, data: d }) => ({
          id,
          candidate: d.candidate_version,
          production: d.production_version,
          promote: d.promote,
          outcome: d.outcome,
          candidate_metric: d.candidate_metric,
          production_metric: d.production_metric,
          holdout_rows: d.holdout_rows,
        })),
      ),
    };
  }

  launches = () => this.run.calls.filter((call) => call.method === 'RunJob').length;

  logs(): string {
    const files = [path.join(this.home, 'loop.log'), ...[...this.run.executions.values()].map((e) => e.logFile)];
    const tails = files.map((file) => `--- ${file}\n${fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-25).join('\n') : ''}`);
    return [...tails, `--- deliveries\n${JSON.stringify(this.deliveries)}`].join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.taps.map((tap) => tap.close()));
    await Promise.all(this.subscriptions.map((s) => s.close()));
    await this.platform?.close();
    await this.pubsub?.close();
    await this.run?.close();
    if (this.gcs) await stopProcess(this.gcs.child);
    const project = this.platform ? this.ctx.config.gcpProject : undefined;
    if (project) await fetch(`http://${emulatorHost('firestore')}/emulator/v1/projects/${project}/databases/(default)/documents`, { method: 'DELETE' });
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** Two datasets, the second uploaded once the first has its run, so both loops number the versions alike. */
async function feed(loop: CloudLoop, files: string[]): Promise<void> {
  await loop.putConfig({ algorithm: 'gbdt', params: { num_iterations: 20, num_leaves: 8 }, seed: 5 });
  for (const [index, file] of files.entries()) {
    await loop.upload(file);
    await until(`the run of ${path.basename(file)} (${loop.label})`, async () => (await loop.runs()).length === index + 1, 120_000, 200).catch((err) => {
      throw new Error(`${(err as Error).message}\n${loop.logs()}`);
    });
  }
  await loop.settled('the loop to finish', files.length);
}

describe('every event delivered twice and out of order, on Pub/Sub with a short ack deadline', () => {
  const loops: CloudLoop[] = [];
  const data = tempHome('mloop-pubsub-dup-data-');
  const files = [path.join(data, 'a.csv'), path.join(data, 'b.csv')];

  beforeAll(async () => {
    await writeFraudCsv(files[0], { rows: 3000, seed: 61 });
    await writeFraudCsv(files[1], { rows: 3000, seed: 62 });
  });
  afterAll(async () => {
    for (const loop of loops) await loop.close();
    fs.rmSync(data, { recursive: true, force: true });
  });

  it('ends exactly as the same uploads delivered once', async () => {
    const once = await CloudLoop.start('once', false);
    loops.push(once);
    await feed(once, files);
    const single = await once.snapshot();
    expect(single.runs.map((r) => [r.model_version, r.status, r.attempt]).sort()).toEqual([
      ['v1', 'succeeded', 1],
      ['v2', 'succeeded', 1],
    ]);
    expect(single.models[0].production).toMatch(/^v[12]$/);
    expect(once.deliveries.every((d) => d.attempt === 1)).toBe(true);

    const twice = await CloudLoop.start('twice', true);
    loops.push(twice);
    await feed(twice, files);

    // Pub/Sub itself delivered each stalled message again while its first delivery was still being
    // handled. (The first may then send a request on a connection the server closed during the
    // stall: the Cloud Storage client sends it again.)
    for (const topic of STALLED) {
      const [first] = twice.deliveries.filter((d) => d.topic === topic);
      const again = twice.deliveries.filter((d) => d.topic === topic && d.id === first.id && d !== first);
      expect({ topic, redelivered: again.some((d) => d.attempt > 1 && d.startedAt < first.endedAt!) }).toEqual({ topic, redelivered: true });
    }

    // Then every message the loop published goes out once more, newest first.
    const before = twice.deliveries.length;
    const replayed = await twice.replayReversed();
    const consumed = new Set<string>(SUBSCRIPTIONS.map((s) => s.topic));
    expect(new Set(replayed.map((m) => m.topic))).toEqual(new Set([TOPICS.objectFinalized, TOPICS.trainingRequested, TOPICS.trainingCompleted, TOPICS.modelPromoted, TOPICS.runSlotFreed]));
    const expected = replayed.filter((m) => consumed.has(m.topic)).length;
    await until('the replayed messages to be handled', () => twice.deliveries.length >= before + expected, 60_000, 200).catch((err) => {
      const sent = replayed.map((m) => `${m.topic} ${m.attributes[ATTR.id]}`);
      throw new Error(`${(err as Error).message}: ${twice.deliveries.length - before} of ${expected}\nreplayed ${JSON.stringify(sent)}\n${twice.logs()}`);
    });
    await twice.settled('the loop to settle after the replay', files.length);

    expect(await twice.snapshot()).toEqual(single);
    // One Cloud Run execution per run, however often its request came.
    expect(once.launches()).toBe(files.length);
    expect(twice.launches()).toBe(files.length);
    expect(await twice.platform.bus.deadLetters()).toEqual([]);
  });
});
