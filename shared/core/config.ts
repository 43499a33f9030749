import path from 'node:path';
import { z } from 'zod';
import { MloopError } from './errors';

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
  MLOOP_API_KEY: z.string().optional(),
  MLOOP_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  MLOOP_JOB_SCRIPT: z.string().optional(),
  MLOOP_JOB_TIMEOUT_SECONDS: int(3600),
  MLOOP_TRAIN_EPOCHS: int(30),
  MLOOP_TF_BACKEND: z.enum(['auto', 'node-gpu', 'node', 'wasm', 'cpu']).default('auto'),
  GOOGLE_CLOUD_PROJECT: z.string().optional(),
  GOOGLE_CLOUD_REGION: z.string().default('europe-west1'),
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
  apiKey?: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  jobScript: string;
  jobTimeoutSeconds: number;
  trainEpochs: number;
  tfBackend: 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
  gcpProject?: string;
  gcpRegion: string;
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
    apiKey: e.MLOOP_API_KEY || undefined,
    logLevel: e.MLOOP_LOG_LEVEL,
    jobScript: e.MLOOP_JOB_SCRIPT ?? path.resolve(__dirname, '..', 'jobs', 'train.js'),
    jobTimeoutSeconds: e.MLOOP_JOB_TIMEOUT_SECONDS,
    trainEpochs: e.MLOOP_TRAIN_EPOCHS,
    tfBackend: e.MLOOP_TF_BACKEND,
    gcpProject: e.GOOGLE_CLOUD_PROJECT,
    gcpRegion: e.GOOGLE_CLOUD_REGION,
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

/** A config for tests and embedded use: defaults, the given home, and overrides. */
export function configFor(home: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({ PATH: process.env.PATH, MLOOP_HOME: home, ...overrides });
}
