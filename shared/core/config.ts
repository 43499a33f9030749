import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CLOUD_RUN_PRICES, type RunResources, type UnitPrices } from './cost';
import { MloopError } from './errors';
import { parseModelVersions, SERVED_MODELS_ENV, SHADOW_MODELS_ENV, type ServedModels } from './served_models';

/**
 * The one place that reads the environment. Everything else receives a Config, so a test or the
 * local stack can build one without touching process.env.
 */
const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const num = (fallback: number) => z.coerce.number().nonnegative().default(fallback);

const EnvSchema = z.object({
  MLOOP_HOME: z.string().default('.mloop'),
  MLOOP_PLATFORM: z.enum(['local', 'gcp']).optional(),
  MLOOP_STORAGE: z.string().optional(),
  MLOOP_DATA_BUCKET: z.string().default('data'),
  MLOOP_ARTIFACTS_BUCKET: z.string().default('artifacts'),
  PORT: z.coerce.number().int().nonnegative().default(8080),
  MLOOP_HOST: z.string().default('127.0.0.1'),
  MLOOP_URL: z.string().optional(),
  MLOOP_MAX_PARALLEL_JOBS: int(1),
  MLOOP_RUN_MAX_ATTEMPTS: int(3),
  MLOOP_EVENT_MAX_ATTEMPTS: int(5),
  MLOOP_ACK_DEADLINE_SECONDS: int(600),
  MLOOP_PROMOTION_DELTA: num(0.01),
  MLOOP_POLL_MS: int(200),
  MLOOP_RECONCILE_MS: int(2000),
  // 0 turns the local stack's monitoring scheduler off (ticks then come from mloop monitor only).
  MLOOP_MONITOR_INTERVAL_SECONDS: z.coerce.number().int().nonnegative().default(3600),
  MLOOP_API_KEY: z.string().optional(),
  // Whether the admin API's reads (GET) need the credentials its actions need: `open` lets anyone who
  // reaches the dashboard look; `key` closes the reads too.
  MLOOP_DASHBOARD_READS: z.enum(['open', 'key']).default('open'),
  // Google identities (emails of people or service accounts) whose ID tokens may call the scoring
  // routes, comma-separated; the tokens must be minted for MLOOP_ID_TOKEN_AUDIENCE (the service's URL).
  MLOOP_ALLOWED_IDENTITIES: z.string().optional(),
  MLOOP_ID_TOKEN_AUDIENCE: z.string().min(1).optional(),
  // Where Google's token-signing certificates are fetched instead of Google: the tests' own.
  MLOOP_GOOGLE_CERTS_URL: z.url().optional(),
  MLOOP_MAX_BODY_BYTES: int(16 * 1024 * 1024),
  MLOOP_SERVE_WORKERS: z.coerce.number().int().positive().optional(),
  // A second port on which `mloop up` also runs `mloop serve`'s workers, for scoring on every core.
  MLOOP_SCORE_PORT: z.coerce.number().int().nonnegative().optional(),
  MLOOP_PROMOTION_MODE: z.enum(['auto', 'manual']).default('auto'),
  MLOOP_PROMOTION_MIN_METRIC: z.coerce.number().optional(),
  MLOOP_PROMOTION_MAX_P99_MS: z.coerce.number().positive().optional(),
  MLOOP_PROMOTION_MAX_MODEL_MB: z.coerce.number().positive().optional(),
  MLOOP_CANARY_PERCENT: z.coerce.number().int().min(0).max(99).default(0),
  // Set on a Cloud Run scoring revision: exactly what it serves (empty: nothing yet); unset, follow the registry.
  MLOOP_SERVED_MODELS: z.string().optional(),
  // Set by Cloud Run on every revision's containers: which revision answered, for the x-served-by header.
  K_REVISION: z.string().optional(),
  MLOOP_SHADOW_MODELS: z.string().optional(),
  MLOOP_PREDICTION_SAMPLE: z.coerce.number().min(0).max(1).default(1),
  MLOOP_PREDICTION_FLUSH_MS: int(5000),
  MLOOP_PREDICTION_MAX_BUFFER: int(5000),
  MLOOP_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  MLOOP_JOB_SCRIPT: z.string().optional(),
  MLOOP_JOB_TIMEOUT_SECONDS: int(3600),
  MLOOP_TRAIN_EPOCHS: int(30),
  MLOOP_DEFAULT_SAMPLE: z.coerce.number().int().positive().optional(),
  MLOOP_TF_BACKEND: z.enum(['auto', 'node-gpu', 'node', 'wasm', 'cpu']).default('auto'),
  MLOOP_TRAIN_WORKERS: z.coerce.number().int().positive().optional(),
  MLOOP_SWEEP_TASKS: int(1),
  // What the train job runs on, as the Cloud Run Job is configured; unset locally means this machine.
  MLOOP_JOB_CPU: z.coerce.number().positive().optional(),
  MLOOP_JOB_MEMORY_GIB: z.coerce.number().positive().optional(),
  MLOOP_JOB_GPU_COUNT: z.coerce.number().int().nonnegative().optional(),
  MLOOP_JOB_GPU_TYPE: z.string().min(1).optional(),
  MLOOP_PRICE_VCPU_SECOND: num(CLOUD_RUN_PRICES.vcpu_second),
  MLOOP_PRICE_GIB_SECOND: num(CLOUD_RUN_PRICES.gib_second),
  MLOOP_PRICE_GPU_SECOND: num(CLOUD_RUN_PRICES.gpu_second),
  GOOGLE_CLOUD_PROJECT: z.string().optional(),
  GOOGLE_CLOUD_REGION: z.string().default('europe-west1'),
  // Names Terraform gives the Cloud Run Job that trains and the Cloud Run service behind `score`.
  MLOOP_TRAIN_JOB: z.string().min(1).default('mloop-train'),
  MLOOP_SCORE_SERVICE: z.string().min(1).default('mloop-score'),
  // Where the Google Cloud clients connect instead of Google's APIs: the emulators and fakes of the tests.
  MLOOP_GCS_ENDPOINT: z.url().optional(),
  MLOOP_BIGQUERY_ENDPOINT: z.url().optional(),
  MLOOP_RUN_ENDPOINT: z.string().regex(/^[^:/]+:\d+$/, 'host:port of a plaintext gRPC server').optional(),
  PUBSUB_EMULATOR_HOST: z.string().min(1).optional(),
  FIRESTORE_EMULATOR_HOST: z.string().min(1).optional(),
  // Set by Cloud Run Jobs (and by the local job launcher, which plays it).
  CLOUD_RUN_JOB: z.string().optional(),
  CLOUD_RUN_EXECUTION: z.string().optional(),
  CLOUD_RUN_TASK_INDEX: z.coerce.number().int().nonnegative().default(0),
  CLOUD_RUN_TASK_COUNT: z.coerce.number().int().positive().default(1),
  CLOUD_RUN_TASK_ATTEMPT: z.coerce.number().int().nonnegative().default(0),
  // The train job's inputs, as Cloud Run Job overrides set them.
  MLOOP_RUN_ID: z.string().optional(),
  MLOOP_RUN_ATTEMPT: z.coerce.number().int().positive().optional(),
});

export interface Config {
  home: string;
  platform: 'local' | 'gcp';
  /** Where buckets live: a local folder, or `gs://` for Cloud Storage. */
  storage: string;
  dataBucket: string;
  artifactsBucket: string;
  port: number;
  host: string;
  /** Base URL of a running stack, for the CLI. */
  url: string;
  maxParallelJobs: number;
  runMaxAttempts: number;
  eventMaxAttempts: number;
  ackDeadlineSeconds: number;
  promotionDelta: number;
  pollMs: number;
  reconcileMs: number;
  /** How often `mloop up` publishes a monitoring tick, as Cloud Scheduler does on Google Cloud; 0: never. */
  monitorIntervalSeconds: number;
  apiKey?: string;
  /**
   * With credentials configured (apiKey, identities), the admin API's actions always need them; its
   * reads need them too only with `key` (dead letters excepted: they always do).
   */
  dashboardReads: 'open' | 'key';
  /** Who may call the scoring routes with a Google ID token, and the audience the token must name. */
  identities: { allowed: string[]; audience?: string; certsUrl?: string };
  /** Largest request body the scoring routes read; a larger one is a 413. */
  maxBodyBytes: number;
  /** Processes `mloop serve` scores in. */
  serveWorkers: number;
  /** When set, `mloop up` also serves the scoring routes on this port from `serveWorkers` processes. */
  scorePort?: number;
  /**
   * `manual`: a candidate that wins waits as `candidate` for `mloop models approve`. The bounds are
   * guardrails a candidate must also pass (mloop.json's `promotion` may set its own).
   */
  promotion: { mode: 'auto' | 'manual'; minMetric?: number; maxP99Ms?: number; maxModelMb?: number };
  /**
   * Share of traffic a newly promoted version gets (a Cloud Run revision, or requests by hash in one
   * process) until `mloop models canary complete|abort`; the previous version keeps the rest. 0: all at once.
   */
  canaryPercent: number;
  /** A scoring revision's fixed models (MLOOP_SERVED_MODELS); undefined: follow the registry. */
  servedModels?: ServedModels;
  /** The Cloud Run revision this process runs as (K_REVISION), when it does. */
  revision?: string;
  /** The prediction log that monitoring reads: share of requests kept, and how it is batched. */
  predictionLog: { sampleRate: number; flushEveryMs: number; maxBuffered: number };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  jobScript: string;
  jobTimeoutSeconds: number;
  trainEpochs: number;
  /** Rows a training run samples when mloop.json sets no `sample`; unset trains on every row. */
  defaultSample?: number;
  tfBackend: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
  /** Sweep trials one job task trains at once, in worker threads; 1 trains in the job's own thread. */
  trainWorkers: number;
  /** The sweep's worker-thread script, built beside the job script. */
  trialWorkerScript: string;
  /** Cloud Run tasks a sweep is spread over at most (each task takes every n-th trial). */
  sweepTasks: number;
  /** What one training job runs on, for the run's record and its cost estimate. */
  jobResources: RunResources;
  prices: UnitPrices;
  gcpProject?: string;
  gcpRegion: string;
  /** The Cloud Run Job onTrainingRequested runs, in gcpProject and gcpRegion (a name or a full resource name). */
  gcpTrainJob: string;
  /** The Cloud Run service a promotion rolls a new scoring revision of (a name or a full resource name). */
  gcpScoreService: string;
  /** Set only to reach emulators or fakes instead of Google's APIs. */
  gcpEndpoints: { storage?: string; bigquery?: string; run?: string; pubsub?: string; firestore?: string };
  job: {
    name?: string;
    execution?: string;
    taskIndex: number;
    taskCount: number;
    taskAttempt: number;
    runId?: string;
    runAttempt?: number;
  };
  /** Variables a child job inherits: what a Cloud Run Job would be configured with. */
  jobEnv: Record<string, string>;
}

const INHERITED = /^(MLOOP_|GOOGLE_|PUBSUB_EMULATOR_HOST$|FIRESTORE_EMULATOR_HOST$|STORAGE_EMULATOR_HOST$|PATH$|HOME$|NODE_OPTIONS$|TZ$|LANG$)/;

/**
 * Whether this process is a scoring revision pinned to its models, asked at start-up before any
 * configuration is built (the function builds its context on first use, not at import).
 */
export function servesPinnedModels(base: NodeJS.ProcessEnv = process.env): boolean {
  return base.MLOOP_SERVED_MODELS !== undefined;
}

export function loadConfig(base: NodeJS.ProcessEnv = process.env, overrides: Record<string, string> = {}): Config {
  const env = { ...base, ...overrides };
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new MloopError('invalid_argument', `invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.MLOOP_HOME);
  const storage = e.MLOOP_STORAGE ?? path.join(home, 'buckets');
  const platform = e.MLOOP_PLATFORM ?? (storage.startsWith('gs://') ? 'gcp' : 'local');
  const jobScript = e.MLOOP_JOB_SCRIPT ?? path.resolve(__dirname, '..', 'jobs', 'train.js');
  const jobEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && INHERITED.test(key)) jobEnv[key] = value;
  }
  jobEnv.MLOOP_HOME = home;
  return {
    home,
    platform,
    storage,
    dataBucket: e.MLOOP_DATA_BUCKET,
    artifactsBucket: e.MLOOP_ARTIFACTS_BUCKET,
    port: e.PORT,
    host: e.MLOOP_HOST,
    url: e.MLOOP_URL ?? `http://127.0.0.1:${e.PORT}`,
    maxParallelJobs: e.MLOOP_MAX_PARALLEL_JOBS,
    runMaxAttempts: e.MLOOP_RUN_MAX_ATTEMPTS,
    eventMaxAttempts: e.MLOOP_EVENT_MAX_ATTEMPTS,
    ackDeadlineSeconds: e.MLOOP_ACK_DEADLINE_SECONDS,
    promotionDelta: e.MLOOP_PROMOTION_DELTA,
    pollMs: e.MLOOP_POLL_MS,
    reconcileMs: e.MLOOP_RECONCILE_MS,
    monitorIntervalSeconds: e.MLOOP_MONITOR_INTERVAL_SECONDS,
    apiKey: e.MLOOP_API_KEY || undefined,
    dashboardReads: e.MLOOP_DASHBOARD_READS,
    identities: identities(e),
    maxBodyBytes: e.MLOOP_MAX_BODY_BYTES,
    serveWorkers: e.MLOOP_SERVE_WORKERS ?? os.availableParallelism(),
    scorePort: e.MLOOP_SCORE_PORT,
    promotion: {
      mode: e.MLOOP_PROMOTION_MODE,
      minMetric: e.MLOOP_PROMOTION_MIN_METRIC,
      maxP99Ms: e.MLOOP_PROMOTION_MAX_P99_MS,
      maxModelMb: e.MLOOP_PROMOTION_MAX_MODEL_MB,
    },
    canaryPercent: e.MLOOP_CANARY_PERCENT,
    revision: e.K_REVISION,
    servedModels:
      e.MLOOP_SERVED_MODELS === undefined
        ? undefined
        : { models: parseModelVersions(e.MLOOP_SERVED_MODELS, SERVED_MODELS_ENV), shadows: parseModelVersions(e.MLOOP_SHADOW_MODELS ?? '', SHADOW_MODELS_ENV) },
    predictionLog: { sampleRate: e.MLOOP_PREDICTION_SAMPLE, flushEveryMs: e.MLOOP_PREDICTION_FLUSH_MS, maxBuffered: e.MLOOP_PREDICTION_MAX_BUFFER },
    logLevel: e.MLOOP_LOG_LEVEL,
    jobScript,
    jobTimeoutSeconds: e.MLOOP_JOB_TIMEOUT_SECONDS,
    trainEpochs: e.MLOOP_TRAIN_EPOCHS,
    defaultSample: e.MLOOP_DEFAULT_SAMPLE,
    tfBackend: e.MLOOP_TF_BACKEND,
    trainWorkers: e.MLOOP_TRAIN_WORKERS ?? os.availableParallelism(),
    trialWorkerScript: path.join(path.dirname(jobScript), 'trial_worker.js'),
    sweepTasks: e.MLOOP_SWEEP_TASKS,
    jobResources: jobResources(e, platform),
    prices: { vcpu_second: e.MLOOP_PRICE_VCPU_SECOND, gib_second: e.MLOOP_PRICE_GIB_SECOND, gpu_second: e.MLOOP_PRICE_GPU_SECOND },
    gcpProject: e.GOOGLE_CLOUD_PROJECT,
    gcpRegion: e.GOOGLE_CLOUD_REGION,
    gcpTrainJob: e.MLOOP_TRAIN_JOB,
    gcpScoreService: e.MLOOP_SCORE_SERVICE,
    gcpEndpoints: {
      storage: e.MLOOP_GCS_ENDPOINT,
      bigquery: e.MLOOP_BIGQUERY_ENDPOINT,
      run: e.MLOOP_RUN_ENDPOINT,
      pubsub: e.PUBSUB_EMULATOR_HOST,
      firestore: e.FIRESTORE_EMULATOR_HOST,
    },
    job: {
      name: e.CLOUD_RUN_JOB,
      execution: e.CLOUD_RUN_EXECUTION,
      taskIndex: e.CLOUD_RUN_TASK_INDEX,
      taskCount: e.CLOUD_RUN_TASK_COUNT,
      taskAttempt: e.CLOUD_RUN_TASK_ATTEMPT,
      runId: e.MLOOP_RUN_ID,
      runAttempt: e.MLOOP_RUN_ATTEMPT,
    },
    jobEnv,
  };
}

function identities(e: z.infer<typeof EnvSchema>): Config['identities'] {
  const allowed = (e.MLOOP_ALLOWED_IDENTITIES ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (allowed.length > 0 && !e.MLOOP_ID_TOKEN_AUDIENCE) {
    // A token minted for any other service would do otherwise.
    throw new MloopError('invalid_argument', 'invalid configuration: MLOOP_ALLOWED_IDENTITIES needs MLOOP_ID_TOKEN_AUDIENCE (the URL callers mint their ID tokens for)');
  }
  return { allowed, audience: e.MLOOP_ID_TOKEN_AUDIENCE, certsUrl: e.MLOOP_GOOGLE_CERTS_URL };
}

// The Cloud Run Job Terraform deploys: the smallest shape Cloud Run accepts with an L4 GPU.
const CLOUD_JOB: RunResources = { vcpu: 4, memory_gib: 16, gpu_count: 1, gpu_type: 'nvidia-l4' };

/** Locally the job is a child process on this machine: its cores and memory, and no GPU. */
function jobResources(e: z.infer<typeof EnvSchema>, platform: 'local' | 'gcp'): RunResources {
  const base: RunResources =
    platform === 'gcp'
      ? CLOUD_JOB
      : { vcpu: os.availableParallelism(), memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, gpu_count: 0, gpu_type: null };
  const gpuCount = e.MLOOP_JOB_GPU_COUNT ?? base.gpu_count;
  return {
    vcpu: e.MLOOP_JOB_CPU ?? base.vcpu,
    memory_gib: e.MLOOP_JOB_MEMORY_GIB ?? base.memory_gib,
    gpu_count: gpuCount,
    gpu_type: gpuCount === 0 ? null : (e.MLOOP_JOB_GPU_TYPE ?? base.gpu_type ?? CLOUD_JOB.gpu_type),
  };
}

/** The environment's config with some variables set by the caller (the demo's private state folder). */
export function loadConfigWith(overrides: Record<string, string>): Config {
  return loadConfig(process.env, overrides);
}

/** A config for tests and embedded use: defaults, the given home, and overrides. */
export function configFor(home: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({ PATH: process.env.PATH, MLOOP_HOME: home, ...overrides });
}
