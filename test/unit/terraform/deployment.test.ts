import fs from 'node:fs';
import path from 'node:path';
import { configFor } from '../../../shared/core/config';
import { MonitoringTick, TOPICS, TrainingRequested } from '../../../shared/core/events';
import { scheduledRequest } from '../../../shared/pipeline/sources/scheduled_snapshot';
import { COLLECTIONS } from '../../../shared/pipeline/store/documents';
import { MONITORING_COLLECTIONS } from '../../../shared/pipeline/store/monitoring_documents';
import { SUBSCRIPTIONS } from '../../../shared/pipeline/handlers';
import { PREDICTIONS_PREFIX, predictionObjectPrefix } from '../../../shared/pipeline/store/prediction_records';
import { FEEDBACK_PREFIX } from '../../../shared/pipeline/usecases/feedback';
import { nested, TerraformModel, unwrap, type Block, type Instance } from './terraform_model';

/**
 * No terraform binary or provider can be downloaded here, so the deployment is checked against the
 * code instead: what the code registers, publishes, reads from the environment and queries must be
 * what Terraform creates, wires, sets and indexes, with no identity allowed more than its part.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

let tf: TerraformModel;
beforeAll(async () => {
  tf = await TerraformModel.load(path.join(ROOT, 'terraform'));
});

// ---------------------------------------------------------------- what the code says

/** `functions.cloudEvent('name', ...)` and `functions.http('name', ...)` in functions/*.ts, with the file (its bundle's name). */
function registeredEntryPoints(): Map<string, 'cloudEvent' | 'http'> {
  return new Map([...entryPointFiles()].map(([name, { kind }]) => [name, kind]));
}

function entryPointFiles(): Map<string, { kind: 'cloudEvent' | 'http'; file: string }> {
  const found = new Map<string, { kind: 'cloudEvent' | 'http'; file: string }>();
  for (const file of fs.readdirSync(path.join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'))) {
    for (const match of read(`functions/${file}`).matchAll(/functions\.(cloudEvent|http)\(\s*'([^']+)'/g)) {
      if (found.has(match[2])) throw new Error(`${match[2]} is registered twice`);
      found.set(match[2], { kind: match[1] as 'cloudEvent' | 'http', file: file.replace(/\.ts$/, '') });
    }
  }
  return found;
}

/** `score` runs as a Cloud Run service of its own (terraform/score_service.tf); every other entry point is a function. */
const SERVICE_ENTRY_POINT = 'score';
const functionEntryPoints = () => [...registeredEntryPoints().keys()].filter((name) => name !== SERVICE_ENTRY_POINT);

/** The variables config.ts reads: the keys of its EnvSchema. */
function configKeys(): string[] {
  const source = read('shared/core/config.ts');
  const body = /const EnvSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!body) throw new Error('EnvSchema not found in shared/core/config.ts');
  return [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
}

interface FirestoreQuery {
  file: string;
  collection: string;
  equality: string[];
  orderBy: Array<[string, 'asc' | 'desc']>;
}

/**
 * Every query of the store's repositories, `<collection>.query({ where, orderBy })`: collection names
 * live only in shared/pipeline/store, one collection per file.
 */
function pipelineQueries(): FirestoreQuery[] {
  const dir = path.join(ROOT, 'shared', 'pipeline', 'store');
  const known: Record<string, string> = { ...COLLECTIONS, ...MONITORING_COLLECTIONS };
  const queries: FirestoreQuery[] = [];
  // The use-cases, read models and stores live in folders under pipeline/.
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    const named = new Set([...source.matchAll(/ollection<\w+>\(\s*\w+,\s*(?:MONITORING_)?COLLECTIONS\.(\w+)\s*\)/g)].map((m) => m[1]));
    const calls = [...source.matchAll(/\.query\(\s*(\{)?/g)];
    if (calls.length === 0) continue;
    if (named.size !== 1) throw new Error(`${file}: queries over ${named.size} collections; the parser expects one per file`);
    const collection = known[[...named][0]];
    if (!collection) throw new Error(`${file}: unknown collection ${[...named][0]}`);
    for (const match of calls) {
      const options = match[1] ? balancedObject(source, match.index + match[0].length - 1) : '';
      const where = [...options.matchAll(/\[\s*'([\w.]+)'\s*,\s*'(==|!=|<=|>=|<|>|in)'/g)];
      const orderBy = [...options.matchAll(/\[\s*'([\w.]+)'\s*,\s*'(asc|desc)'\s*\]/g)].map((o): [string, 'asc' | 'desc'] => [o[1], o[2] as 'asc' | 'desc']);
      const inequality = where.find((w) => w[2] !== '==' && w[2] !== 'in');
      // an inequality alone is served by the field's automatic index
      if (inequality && (where.length > 1 || orderBy.some(([field]) => field !== inequality[1]))) {
        throw new Error(`${file}: an inequality on ${inequality[1]} beside other fields needs its own index rule in this test`);
      }
      queries.push({ file, collection, equality: [...new Set(where.filter((w) => w !== inequality).map((w) => w[1]))].sort(), orderBy });
    }
  }
  return queries;
}

function balancedObject(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '{') depth++;
    if (source[i] === '}' && --depth === 0) return source.slice(open, i + 1);
  }
  throw new Error('unbalanced query options');
}

// ---------------------------------------------------------------- what Terraform says

interface FunctionResource extends Instance {
  entryPoint: string;
  serviceAccount: string;
  env: Record<string, unknown>;
}

function functionResources(): FunctionResource[] {
  return tf.instances('google_cloudfunctions2_function').map((instance) => {
    const service = nested(instance.block, 'service_config');
    return {
      ...instance,
      entryPoint: String(nested(instance.block, 'build_config').entry_point),
      serviceAccount: serviceAccountName(String(service.service_account_email)),
      env: tf.mapValue(service.environment_variables),
    };
  });
}

function functionFor(entryPoint: string): FunctionResource {
  const found = functionResources().filter((f) => f.entryPoint === entryPoint);
  if (found.length !== 1) throw new Error(`${found.length} function resources have entry point ${entryPoint}`);
  return found[0];
}

/** `${google_service_account.x.email}` → `x`. */
function serviceAccountName(reference: string): string {
  const name = /^google_service_account\.(\w+)\.(email|id|name|member)$/.exec(unwrap(reference))?.[1];
  if (!name) throw new Error(`${reference} is not one of the deployment's service accounts`);
  return name;
}

/** The principal of an IAM member resource: one of our service accounts by name, or the raw member. */
function principal(block: Block): string {
  const member = unwrap(String(block.member));
  const viaLocal = /^local\.sa(?:\.(\w+)|\["(\w+)"\])$/.exec(member);
  if (viaLocal) {
    const name = viaLocal[1] ?? viaLocal[2];
    const sa = tf.local('sa') as Record<string, string>;
    if (!sa[name]) throw new Error(`local.sa has no ${name}`);
    return serviceAccountName(/serviceAccount:(\$\{[^}]+\})/.exec(sa[name])![1]);
  }
  const direct = /^serviceAccount:\$\{google_service_account\.(\w+)\.email\}$/.exec(String(block.member));
  return direct ? direct[1] : String(block.member);
}

const IAM_MEMBER_TYPES = [
  'google_project_iam_member',
  'google_cloud_run_v2_service_iam_member',
  'google_storage_bucket_iam_member',
  'google_pubsub_topic_iam_member',
  'google_pubsub_subscription_iam_member',
  'google_cloud_run_v2_job_iam_member',
  'google_cloud_run_service_iam_member',
  'google_service_account_iam_member',
  'google_secret_manager_secret_iam_member',
  'google_bigquery_dataset_iam_member',
];
const grants = () => tf.instances(...IAM_MEMBER_TYPES);

const dependsOn = (value: unknown, reference: string) => String(value).includes(reference);

// ---------------------------------------------------------------- the tests

describe('functions', () => {
  test('every entry point registered in functions/ is deployed as a function with that entry point (score as the scoring service), and nothing else is', () => {
    const registered = registeredEntryPoints();
    expect(registered.size).toBeGreaterThanOrEqual(8);
    expect(registered.get(SERVICE_ENTRY_POINT)).toBe('http');
    expect(functionResources().map((f) => f.entryPoint).sort()).toEqual(functionEntryPoints().sort());
    for (const f of functionResources()) expect(nested(f.block, 'build_config').runtime).toBe('${local.runtime}');
    expect(tf.local('runtime')).toBe('nodejs20');
  });

  test("each function, the scoring service and the job run as their own service account (the launcher's two triggers share one)", () => {
    const identities = [
      ...functionResources()
        .filter((f) => f.entryPoint !== 'onRunSlotFreed')
        .map((f) => f.serviceAccount),
      scoreServiceAccount(),
      serviceAccountName(String(nested(trainJob(), 'template', 'template').service_account)),
    ];
    expect(new Set(identities).size).toBe(identities.length);
  });

  test('onDataUploaded is triggered by Eventarc on objects finalized in the data bucket', () => {
    const trigger = nested(functionFor('onDataUploaded').block, 'event_trigger');
    expect(trigger.event_type).toBe('google.cloud.storage.object.v1.finalized');
    expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
    expect(trigger.event_filters).toEqual([{ attribute: 'bucket', value: '${google_storage_bucket.data.name}' }]);
  });

  test('dashboard is an HTTP function and only the storage and BigQuery audit-log triggers are left to Eventarc', () => {
    expect(registeredEntryPoints().get('dashboard')).toBe('http');
    const withTriggers = functionResources().filter((f) => f.block.event_trigger !== undefined).map((f) => f.entryPoint);
    expect(withTriggers.sort()).toEqual(['onDataUploaded', 'onTableChanged']);
  });

  test("each function's source zip holds its own bundle, which package.json's main names and which registers that entry point", () => {
    const bundles = tf.local('function_bundles') as Record<string, string>;
    expect(Object.keys(bundles).sort()).toEqual(functionEntryPoints().sort());
    for (const [entryPoint, bundle] of Object.entries(bundles)) expect(entryPointFiles().get(entryPoint)?.file).toBe(bundle);
    const archive = tf.data.archive_file?.functions as Block;
    expect(archive.for_each).toBe('${local.function_bundles}');
    const [code, manifest] = archive.source as Block[];
    expect(code).toEqual({ filename: 'dist/functions/${each.value}.js', content: '${file("${path.module}/../dist/functions/${each.value}.js")}' });
    expect(manifest.filename).toBe('package.json');
    expect(unwrap(String(manifest.content))).toBe('jsonencode(merge(jsondecode(file("${path.module}/../package.json")), { main = "dist/functions/${each.value}.js" }))');
    const others = tf.local('package_files') as string[];
    expect(others.sort()).toEqual(['.npmrc', 'bin/mloop.js', 'package-lock.json']);
    for (const file of others) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
    for (const f of functionResources()) {
      const object = nested(f.block, 'build_config', 'source', 'storage_source').object;
      expect([f.entryPoint, object]).toEqual([f.entryPoint, `\${google_storage_bucket_object.functions["${f.entryPoint}"].name}`]);
    }
    // Every file of the built page (not its source maps), where the dashboard function looks for it.
    const built = path.join(ROOT, 'dist', 'dashboard');
    if (fs.existsSync(built)) {
      const page = fs.readdirSync(built).filter((f) => !f.endsWith('.map')).map((f) => `dist/dashboard/${f}`);
      expect((tf.local('dashboard_files') as string[]).sort()).toEqual(page.sort());
    }
  });
});

function scoreService(): Block {
  return tf.resource('google_cloud_run_v2_service', 'score');
}

function scoreServiceAccount(): string {
  return serviceAccountName(String(nested(scoreService(), 'template').service_account));
}

describe('the scoring service', () => {
  test('runs the score bundle from its image, ready only once its startup probe (the served versions loaded) passes', () => {
    const container = nested(scoreService(), 'template', 'containers');
    expect(container.image).toBe('${var.score_image}');
    const probe = nested(container, 'startup_probe', 'http_get');
    expect(probe.path).toBe('${local.score_startup_probe_path}');
    const path_ = String(tf.local('score_startup_probe_path'));
    // The route the router answers 200 only when every served version is warm.
    expect(read('shared/serving/router.ts')).toMatch(/pattern: \/\^\\\/v2\\\/health\\\/ready\\\/\?\$\/[^\n]*\n\s*\/\/ A Cloud Run revision's startup probe/);
    expect(path_).toBe('/v2/health/ready');
    const dockerfile = read('functions/score.Dockerfile');
    expect(dockerfile).toMatch(/--target=score/);
    expect(dockerfile).toMatch(/--source=dist\/functions\/score\.js/);
  });

  test('mloop, not Terraform, owns what the revisions serve and the traffic', () => {
    const ignored = (nested(scoreService(), 'lifecycle').ignore_changes as string[]).map((e) => unwrap(String(e)));
    expect(ignored).toEqual(expect.arrayContaining(['template[0].containers[0].env', 'traffic']));
    const env = tf.mapValue(((nested(scoreService(), 'template', 'containers').dynamic as Block).env as Block[])[0].for_each);
    // The first revision serves nothing, as a revision: it never follows the registry.
    expect(env).toMatchObject({ MLOOP_SERVED_MODELS: '', MLOOP_SHADOW_MODELS: '' });
  });

  test('only onModelPromoted may deploy it, as the scoring identity; its URL is the scoring URL', () => {
    const rollout = functionFor('onModelPromoted').serviceAccount;
    const onService = grants().filter((g) => g.type === 'google_cloud_run_v2_service_iam_member' && g.block.name === '${google_cloud_run_v2_service.score.name}');
    expect(onService.filter((g) => g.block.role !== 'roles/run.invoker').map((g) => [principal(g.block), g.block.role])).toEqual([[rollout, 'roles/run.developer']]);
    const actAs = grants().filter((g) => g.type === 'google_service_account_iam_member' && g.block.service_account_id === '${google_service_account.score.name}');
    expect(actAs.map((g) => [principal(g.block), g.block.role])).toEqual([[rollout, 'roles/iam.serviceAccountUser']]);
    expect(grants().filter((g) => g.type === 'google_cloud_run_service_iam_member' && String(g.block.role) === 'roles/run.developer')).toEqual([]);
    expect(functionFor('onModelPromoted').env.MLOOP_SCORE_SERVICE).toBe('${google_cloud_run_v2_service.score.name}');
  });
});

describe('topics and subscriptions', () => {
  const cloudTopics = Object.values(TOPICS).filter((t) => t !== TOPICS.objectFinalized);

  test('every topic of the event schemas but object-finalized exists, with a dead-letter topic', () => {
    const topics = tf.instances('google_pubsub_topic');
    const names = (name: string) => topics.filter((t) => t.name === name).map((t) => t.block.name);
    expect(names('topic').sort()).toEqual([...cloudTopics].sort());
    expect(names('dead_letter').sort()).toEqual(cloudTopics.map((t) => `${t}-dead-letter`).sort());
    expect(topics.map((t) => t.block.name)).not.toContain(TOPICS.objectFinalized);
  });

  test('every subscription a handler consumes pushes to the function of that handler, with retry and dead-letter policies', () => {
    const subscriptions = tf.instances('google_pubsub_subscription').filter((s) => s.block.push_config !== undefined);
    const consumed = SUBSCRIPTIONS.filter((s) => s.topic !== TOPICS.objectFinalized);
    expect(subscriptions.map((s) => s.block.name).sort()).toEqual(consumed.map((s) => s.subscription).sort());
    for (const { topic, subscription } of consumed) {
      const sub = subscriptions.find((s) => s.block.name === subscription)!.block;
      const entryPoint = subscription.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const target = functionFor(entryPoint);
      expect(sub.topic).toBe(`\${google_pubsub_topic.topic["${topic}"].id}`);
      expect(nested(sub, 'push_config').push_endpoint).toBe(`\${${target.address}.service_config[0].uri}`);
      expect(nested(sub, 'push_config', 'oidc_token').service_account_email).toBe('${google_service_account.events.email}');
      expect(nested(sub, 'dead_letter_policy')).toEqual({
        dead_letter_topic: `\${google_pubsub_topic.dead_letter["${topic}"].id}`,
        max_delivery_attempts: '${var.max_delivery_attempts}',
      });
      expect(Object.keys(nested(sub, 'retry_policy')).sort()).toEqual(['maximum_backoff', 'minimum_backoff']);
    }
  });

  test('the delivery identity may invoke exactly the event functions, and Pub/Sub may dead-letter from every push subscription', () => {
    const invokers = grants().filter((g) => g.type === 'google_cloud_run_service_iam_member' && g.block.role === 'roles/run.invoker' && principal(g.block) === 'events');
    const invoked = invokers.map((g) => /^\$\{(google_cloudfunctions2_function\.[^.]+)\.service_config\[0\]\.service\}$/.exec(String(g.block.service))![1]).sort();
    expect(invoked).toEqual(functionResources().filter((f) => registeredEntryPoints().get(f.entryPoint) === 'cloudEvent').map((f) => f.address).sort());
    const deadLetterSubscribers = grants().filter(
      (g) => g.type === 'google_pubsub_subscription_iam_member' && g.block.role === 'roles/pubsub.subscriber' && g.block.member === '${local.pubsub_agent}',
    );
    expect(deadLetterSubscribers.map((g) => g.block.subscription).sort()).toEqual(
      tf.instances('google_pubsub_subscription').filter((s) => s.block.dead_letter_policy !== undefined).map((s) => `\${${s.address}.name}`).sort(),
    );
  });

  test('the scheduler publishes a valid monitoring tick', () => {
    const target = nested(tf.resource('google_cloud_scheduler_job', 'monitoring_tick'), 'pubsub_target');
    expect(target.topic_name).toBe('${google_pubsub_topic.topic["monitoring-tick"].id}');
    const payload = /^\$\{base64encode\(jsonencode\((.*)\)\)\}$/.exec(String(target.data))?.[1];
    expect(payload).toBe('{}');
    expect(MonitoringTick.safeParse(JSON.parse(payload!)).success).toBe(true);
  });
});

describe('configuration', () => {
  // Why a variable config.ts reads is not set by Terraform on a function.
  const NOT_ON_FUNCTIONS: Record<string, string> = {
    MLOOP_HOME: 'local state folder; the functions keep no state on disk',
    MLOOP_STORAGE: 'local bucket folder; MLOOP_PLATFORM=gcp uses Cloud Storage',
    PORT: 'set by Cloud Run',
    K_REVISION: 'set by Cloud Run on each revision',
    MLOOP_HOST: 'the local stack only',
    MLOOP_URL: 'the CLI only',
    MLOOP_POLL_MS: 'local bus and bucket watcher',
    MLOOP_RECONCILE_MS: 'the local reconcile timer; Cloud Scheduler ticks on Google Cloud',
    MLOOP_MONITOR_INTERVAL_SECONDS: 'the monitoring scheduler of mloop up; Cloud Scheduler ticks on Google Cloud',
    MLOOP_API_KEY: "scoring is protected by IAM (identity tokens) on Google Cloud; the dashboard's comes from Secret Manager",
    MLOOP_PREDICTION_FLUSH_MS: 'a default suits functions',
    MLOOP_PREDICTION_MAX_BUFFER: 'a default suits functions',
    MLOOP_JOB_SCRIPT: 'the local job launcher',
    MLOOP_TRAIN_EPOCHS: 'read by the job',
    MLOOP_TF_BACKEND: 'read by the job',
    MLOOP_TRAIN_WORKERS: "read by the job; its default, the job's vCPUs, suits it",
    MLOOP_SWEEP_TASKS: 'a sweep in one task (the default) until the job is configured with more',
    CLOUD_RUN_JOB: 'set by Cloud Run Jobs',
    CLOUD_RUN_EXECUTION: 'set by Cloud Run Jobs',
    CLOUD_RUN_TASK_INDEX: 'set by Cloud Run Jobs',
    CLOUD_RUN_TASK_COUNT: 'set by Cloud Run Jobs',
    CLOUD_RUN_TASK_ATTEMPT: 'set by Cloud Run Jobs',
    MLOOP_RUN_ID: 'an override of each job execution',
    MLOOP_RUN_ATTEMPT: 'an override of each job execution',
    MLOOP_GCS_ENDPOINT: "tests: the fake Cloud Storage server instead of Google's API",
    MLOOP_BIGQUERY_ENDPOINT: "tests: the fake BigQuery server instead of Google's API",
    MLOOP_RUN_ENDPOINT: "tests: the fake Cloud Run server instead of Google's API",
    PUBSUB_EMULATOR_HOST: 'tests: the Pub/Sub emulator',
    FIRESTORE_EMULATOR_HOST: 'tests: the Firestore emulator',
    MLOOP_ALLOWED_IDENTITIES: "optional: Cloud Run's invoker IAM already checks identity tokens on Google Cloud",
    MLOOP_ID_TOKEN_AUDIENCE: 'only with MLOOP_ALLOWED_IDENTITIES',
    MLOOP_GOOGLE_CERTS_URL: "tests: Google's signing certificates served locally",
    MLOOP_MAX_BODY_BYTES: 'a default suits functions (below their 32 MiB request cap)',
    MLOOP_SERVE_WORKERS: 'mloop serve only',
    MLOOP_SCORE_PORT: 'mloop up only',
    MLOOP_PROMOTION_MIN_METRIC: "optional guardrail; mloop.json's promotion.min sets it per model",
    MLOOP_PROMOTION_MAX_P99_MS: "optional guardrail; mloop.json's promotion.max_p99_ms sets it per model",
    MLOOP_PROMOTION_MAX_MODEL_MB: "optional guardrail; mloop.json's promotion.max_model_mb sets it per model",
  };
  const BASE = [
    'MLOOP_PLATFORM',
    'GOOGLE_CLOUD_PROJECT',
    'GOOGLE_CLOUD_REGION',
    'MLOOP_DATA_BUCKET',
    'MLOOP_ARTIFACTS_BUCKET',
    'MLOOP_LOG_LEVEL',
    'MLOOP_EVENT_MAX_ATTEMPTS',
    'MLOOP_ACK_DEADLINE_SECONDS',
  ];
  const USAGE = ['MLOOP_JOB_CPU', 'MLOOP_JOB_MEMORY_GIB', 'MLOOP_JOB_GPU_COUNT', 'MLOOP_JOB_GPU_TYPE', 'MLOOP_PRICE_VCPU_SECOND', 'MLOOP_PRICE_GIB_SECOND', 'MLOOP_PRICE_GPU_SECOND'];
  // What each function's code paths read beyond the defaults.
  const NEEDS: Record<string, string[]> = {
    onDataUploaded: BASE,
    onTrainingRequested: [...BASE, 'MLOOP_MAX_PARALLEL_JOBS', 'MLOOP_RUN_MAX_ATTEMPTS', 'MLOOP_JOB_TIMEOUT_SECONDS', 'MLOOP_TRAIN_JOB'],
    onRunSlotFreed: [...BASE, 'MLOOP_MAX_PARALLEL_JOBS', 'MLOOP_RUN_MAX_ATTEMPTS', 'MLOOP_JOB_TIMEOUT_SECONDS', 'MLOOP_TRAIN_JOB'],
    onTrainingCompleted: [...BASE, ...USAGE, 'MLOOP_PROMOTION_DELTA', 'MLOOP_PROMOTION_MODE', 'MLOOP_CANARY_PERCENT'],
    onMonitoringTick: [...BASE, ...USAGE, 'MLOOP_TRAIN_JOB'],
    onDriftDetected: BASE,
    onModelPromoted: [...BASE, 'MLOOP_SCORE_SERVICE'],
    onTableChanged: BASE,
    // The scoring service (a Cloud Run service, its env in score_service.tf).
    score: [...BASE, 'MLOOP_PREDICTION_SAMPLE', 'MLOOP_SERVED_MODELS', 'MLOOP_SHADOW_MODELS'],
    dashboard: [...BASE, 'MLOOP_CANARY_PERCENT', 'MLOOP_DASHBOARD_READS'],
  };
  const JOB_NEEDS = [...BASE, ...USAGE, 'MLOOP_TF_BACKEND', 'MLOOP_TRAIN_EPOCHS', 'MLOOP_DEFAULT_SAMPLE'];

  test('every variable config.ts reads is either set on the functions that need it or explained', () => {
    const needed = new Set([...Object.values(NEEDS).flat(), ...JOB_NEEDS]);
    const unexplained = configKeys().filter((key) => !needed.has(key) && !(key in NOT_ON_FUNCTIONS));
    expect(unexplained).toEqual([]);
    expect(Object.keys(NEEDS).sort()).toEqual([...registeredEntryPoints().keys()].sort());
  });

  // Read by the runtime rather than by mloop's config.
  const RUNTIME_ENV: Record<string, string> = { NODE_ENV: 'production: express answers the errors it catches without a stack trace' };

  test('each function is given what it needs, and only variables config.ts (or the runtime) reads', () => {
    const known = new Set([...configKeys(), ...Object.keys(RUNTIME_ENV)]);
    const service = {
      entryPoint: SERVICE_ENTRY_POINT,
      env: tf.mapValue(((nested(scoreService(), 'template', 'containers').dynamic as Block).env as Block[])[0].for_each),
    };
    for (const f of [...functionResources(), service]) {
      const keys = Object.keys(f.env);
      expect({ function: f.entryPoint, missing: NEEDS[f.entryPoint].filter((key) => !keys.includes(key)) }).toEqual({ function: f.entryPoint, missing: [] });
      expect({ function: f.entryPoint, unknown: keys.filter((key) => !known.has(key)) }).toEqual({ function: f.entryPoint, unknown: [] });
      expect(f.env.MLOOP_PLATFORM).toBe('gcp');
      expect(f.env.NODE_ENV).toBe('production');
    }
  });

  test("the dashboard's API key comes from Secret Manager, as the variable config.ts reads, readable by the dashboard alone", () => {
    const secret = nested(functionFor('dashboard').block, 'service_config').dynamic as Block;
    const content = nested(secret, 'secret_environment_variables', 'content');
    expect(content.key).toBe('MLOOP_API_KEY');
    expect(configKeys()).toContain(content.key);
    expect(content.secret).toBe('${secret_environment_variables.value}');
    const accessors = tf.instances('google_secret_manager_secret_iam_member');
    expect(accessors.map((g) => [principal(g.block), g.block.role, g.block.secret_id])).toEqual([['dashboard', 'roles/secretmanager.secretAccessor', '${var.dashboard_api_key_secret}']]);
  });

  test('the launcher has two triggers under one identity; completion and reconcile only announce a freed slot', () => {
    expect(functionFor('onRunSlotFreed').serviceAccount).toBe(functionFor('onTrainingRequested').serviceAccount);
    const publishers = (topic: string) =>
      grants()
        .filter((g) => g.type === 'google_pubsub_topic_iam_member' && g.block.topic === `\${google_pubsub_topic.topic["${topic}"].name}`)
        .map((g) => principal(g.block))
        .sort();
    const serviceAccountOf = (entryPoint: string) => functionFor(entryPoint).serviceAccount;
    expect(publishers(TOPICS.runSlotFreed)).toEqual([serviceAccountOf('onTrainingCompleted'), serviceAccountOf('onMonitoringTick'), serviceAccountOf('dashboard')].sort());
    expect(publishers(TOPICS.trainingRequested)).not.toContain(serviceAccountOf('onTrainingCompleted'));
    expect(publishers(TOPICS.trainingRequested)).not.toContain(serviceAccountOf('onMonitoringTick'));
  });

  test('the job is given what it needs', () => {
    const container = nested(trainJob(), 'template', 'template', 'containers');
    const dynamicEnv = ((container.dynamic as Block).env as Block[])[0];
    const env = tf.mapValue(dynamicEnv.for_each);
    expect(JOB_NEEDS.filter((key) => !(key in env))).toEqual([]);
    expect(Object.keys(env).filter((key) => !configKeys().includes(key) && !(key in RUNTIME_ENV))).toEqual([]);
  });
});

function trainJob(): Block {
  return tf.resource('google_cloud_run_v2_job', 'train');
}

describe('the training job', () => {
  test('runs on one L4 with the CPU and memory Cloud Run requires for it, a timeout and bounded retries', () => {
    const template = nested(trainJob(), 'template', 'template');
    expect(nested(template, 'node_selector').accelerator).toBe('${var.job_gpu_type}');
    expect(tf.variableDefault('job_gpu_type')).toBe('nvidia-l4');
    const limits = nested(template, 'containers', 'resources').limits as Record<string, string>;
    expect(limits['nvidia.com/gpu']).toBe('${tostring(local.job_gpu_count)}');
    expect(tf.local('job_gpu_count')).toBe(1);
    expect(tf.variableDefault('job_cpu')).toBeGreaterThanOrEqual(4);
    expect(tf.variableDefault('job_memory_gib')).toBeGreaterThanOrEqual(16);
    expect(template.timeout).toBe('${var.job_timeout_seconds}s');
    expect(template.max_retries).toBe('${var.job_max_retries}');
  });

  test("the defaults of Terraform and of config.ts describe the same job, so a run's cost matches what runs", () => {
    expect(configFor('/tmp/unused', { MLOOP_PLATFORM: 'gcp' }).jobResources).toEqual({
      vcpu: tf.variableDefault('job_cpu'),
      memory_gib: tf.variableDefault('job_memory_gib'),
      gpu_count: tf.local('job_gpu_count'),
      gpu_type: tf.variableDefault('job_gpu_type'),
    });
    expect(configFor('/tmp/unused').prices).toEqual({
      vcpu_second: tf.variableDefault('price_vcpu_second'),
      gib_second: tf.variableDefault('price_gib_second'),
      gpu_second: tf.variableDefault('price_gpu_second'),
    });
  });
});

describe('buckets', () => {
  test('data and artifacts use uniform access; artifacts keep versions', () => {
    for (const name of ['data', 'artifacts']) expect(tf.resource('google_storage_bucket', name).uniform_bucket_level_access).toBe(true);
    expect(nested(tf.resource('google_storage_bucket', 'artifacts'), 'versioning').enabled).toBe(true);
  });
});

describe('renamed addresses', () => {
  test('every moved block leads from an address no longer declared to one that is, so an existing deployment keeps what was renamed', () => {
    const declared = new Set(tf.instances().map((i) => i.address));
    expect(tf.moved.length).toBeGreaterThan(0);
    expect(tf.moved.filter((m) => !declared.has(m.to))).toEqual([]);
    expect(tf.moved.filter((m) => declared.has(m.from))).toEqual([]);
  });
});

describe('least privilege', () => {
  const RUNS_THE_JOB = ['roles/run.invoker', 'roles/run.jobsExecutor', 'roles/run.jobsExecutorWithOverrides', 'roles/run.developer', 'roles/run.admin'];
  const WRITES_OBJECTS = ['roles/storage.objectCreator', 'roles/storage.objectUser', 'roles/storage.objectAdmin', 'roles/storage.admin', 'roles/storage.legacyBucketWriter'];

  test('only member grants are used, so no binding silently removes others', () => {
    const authoritative = ['google_project_iam_binding', 'google_project_iam_policy', 'google_storage_bucket_iam_binding', 'google_storage_bucket_iam_policy', 'google_cloud_run_v2_job_iam_binding', 'google_cloud_run_v2_job_iam_policy'];
    expect(tf.instances(...authoritative)).toEqual([]);
  });

  test('no primitive role anywhere, and no project-wide storage or job-running role', () => {
    for (const grant of grants()) expect([grant.address, grant.block.role]).not.toEqual([grant.address, expect.stringMatching(/^roles\/(owner|editor|viewer)$/)]);
    const projectRoles = grants().filter((g) => g.type === 'google_project_iam_member');
    expect(projectRoles.filter((g) => String(g.block.role).startsWith('roles/storage.'))).toEqual([]);
    expect(projectRoles.filter((g) => RUNS_THE_JOB.includes(String(g.block.role)))).toEqual([]);
    // Publishing project-wide is the Cloud Storage service agent's, which Eventarc's storage trigger needs.
    expect(projectRoles.filter((g) => g.block.role === 'roles/pubsub.publisher').map((g) => g.block.member)).toEqual([
      'serviceAccount:${data.google_storage_project_service_account.gcs.email_address}',
    ]);
  });

  test('the scoring identity has no role on the data bucket, and writes only the prediction log', () => {
    const score = scoreServiceAccount();
    const scoreGrants = grants().filter((g) => principal(g.block) === score);
    expect(scoreGrants.filter((g) => dependsOn(g.block.bucket, 'google_storage_bucket.data.'))).toEqual([]);
    const writes = scoreGrants.filter((g) => WRITES_OBJECTS.includes(String(g.block.role)));
    expect(writes.map((g) => g.block.bucket)).toEqual(['${google_storage_bucket.artifacts.name}']);
    expect(nested(writes[0].block, 'condition').expression).toMatch(/objects\/predictions\/"\)$/);
  });

  test('the dashboard reads model files and drift reports, never the data bucket or the prediction log, and writes no object', () => {
    const dashboard = functionFor('dashboard').serviceAccount;
    const mine = grants().filter((g) => principal(g.block) === dashboard);
    expect(mine.filter((g) => dependsOn(g.block.bucket, 'google_storage_bucket.data.'))).toEqual([]);
    expect(mine.filter((g) => WRITES_OBJECTS.includes(String(g.block.role)))).toEqual([]);
    const reads = mine.filter((g) => g.type === 'google_storage_bucket_iam_member');
    expect(reads.map((g) => [g.block.bucket, g.block.role])).toEqual([['${google_storage_bucket.artifacts.name}', 'roles/storage.objectViewer']]);
    const prefixes = [...String(nested(reads[0].block, 'condition').expression).matchAll(/objects\/([\w-]+)\/"\)/g)].map((m) => m[1]);
    expect(prefixes.sort()).toEqual(['drift', 'models']);
  });

  test('the dashboard cannot run the job, and its only project roles are Firestore and listing topics', () => {
    const dashboard = functionFor('dashboard').serviceAccount;
    const mine = grants().filter((g) => principal(g.block) === dashboard);
    expect(mine.filter((g) => g.type === 'google_cloud_run_v2_job_iam_member')).toEqual([]);
    expect(mine.filter((g) => g.type === 'google_project_iam_member').map((g) => g.block.role).sort()).toEqual(['roles/datastore.user', 'roles/pubsub.viewer']);
    // It moves the registry and announces it; onModelPromoted deploys. It deploys nothing itself.
    expect(mine.filter((g) => g.type.startsWith('google_cloud_run_'))).toEqual([]);
  });

  test('the dashboard publishes only what its actions publish, and pulls only dead letters', () => {
    const dashboard = functionFor('dashboard').serviceAccount;
    const mine = grants().filter((g) => principal(g.block) === dashboard);
    const pushed = tf.instances('google_pubsub_subscription').filter((s) => s.block.dead_letter_policy !== undefined);
    const redeliverable = pushed.map((s) => /google_pubsub_topic\.topic\["([\w-]+)"\]/.exec(String(s.block.topic))![1]);
    const published = mine.filter((g) => g.type === 'google_pubsub_topic_iam_member').map((g) => {
      expect(g.block.role).toBe('roles/pubsub.publisher');
      return g.key;
    });
    expect([...new Set(published)].sort()).toEqual([...new Set([...redeliverable, TOPICS.modelPromoted, TOPICS.monitoringTick])].sort());
    const pulled = mine.filter((g) => g.type === 'google_pubsub_subscription_iam_member');
    for (const g of pulled) expect([g.block.subscription, g.block.role]).toEqual([`\${google_pubsub_subscription.dead_letter["${g.key}"].name}`, 'roles/pubsub.subscriber']);
    expect(pulled.map((g) => g.key).sort()).toEqual(tf.instances('google_pubsub_subscription').filter((s) => s.name === 'dead_letter').map((s) => s.key).sort());
  });

  test("only the launcher's identity (onTrainingRequested, onRunSlotFreed) can run the job", () => {
    const launcher = functionFor('onTrainingRequested').serviceAccount;
    const onJob = grants().filter((g) => g.type === 'google_cloud_run_v2_job_iam_member');
    for (const grant of onJob) expect(grant.block.name).toBe('${google_cloud_run_v2_job.train.name}');
    const runners = onJob.filter((g) => RUNS_THE_JOB.includes(String(g.block.role))).map((g) => principal(g.block));
    expect(runners).toEqual([launcher]);
  });

  test('the job writes artifacts and publishes training-completed, and nothing else', () => {
    const train = serviceAccountName(String(nested(trainJob(), 'template', 'template').service_account));
    const jobGrants = grants().filter((g) => principal(g.block) === train);
    expect(jobGrants.filter((g) => WRITES_OBJECTS.includes(String(g.block.role))).map((g) => g.block.bucket)).toEqual(['${google_storage_bucket.artifacts.name}']);
    expect(jobGrants.filter((g) => g.type === 'google_pubsub_topic_iam_member').map((g) => [g.block.topic, g.block.role])).toEqual([
      ['${google_pubsub_topic.topic["training-completed"].name}', 'roles/pubsub.publisher'],
    ]);
    expect(jobGrants.filter((g) => g.type === 'google_project_iam_member').map((g) => g.block.role)).toEqual(['roles/datastore.user']);
  });
});

describe('BigQuery', () => {
  const BIGQUERY_ROLE = /^roles\/bigquery\./;

  test('only the launcher, which runs the snapshot queries, has a BigQuery role: jobUser on the project and dataViewer on each named dataset', () => {
    const launcher = functionFor('onTrainingRequested').serviceAccount;
    const named = tf.withVariables({ bigquery_source_datasets: ['acme-sales.orders', 'acme-sales.customers'] });
    const bigqueryGrants = named.instances(...IAM_MEMBER_TYPES).filter((g) => BIGQUERY_ROLE.test(String(g.block.role)));
    expect(bigqueryGrants.map((g) => [g.type, principal(g.block), g.block.role, g.key ?? null])).toEqual([
      ['google_project_iam_member', launcher, 'roles/bigquery.jobUser', null],
      ['google_bigquery_dataset_iam_member', launcher, 'roles/bigquery.dataViewer', 'acme-sales.orders'],
      ['google_bigquery_dataset_iam_member', launcher, 'roles/bigquery.dataViewer', 'acme-sales.customers'],
    ]);
    // each grant is on the dataset its key names: project and dataset id are the two halves of project.dataset
    for (const g of bigqueryGrants.filter((g) => g.type === 'google_bigquery_dataset_iam_member')) {
      expect([g.block.project, g.block.dataset_id]).toEqual(['${split(".", each.key)[0]}', '${split(".", each.key)[1]}']);
    }
    // as shipped, no dataset is named: the launcher can run jobs but read no table
    expect(grants().filter((g) => g.type === 'google_bigquery_dataset_iam_member')).toEqual([]);
  });

  test('the launcher writes only exports under bigquery/ and reads only mloop.json of the data bucket', () => {
    const launcher = functionFor('onTrainingRequested').serviceAccount;
    const onData = grants().filter((g) => principal(g.block) === launcher && dependsOn(g.block.bucket, 'google_storage_bucket.data.'));
    expect(onData.map((g) => [g.block.role, nested(g.block, 'condition').expression])).toEqual([
      ['roles/storage.objectUser', expect.stringMatching(/objects\/bigquery\/"\)$/)],
      ['roles/storage.objectViewer', expect.stringMatching(/objects\/datasets\/"\) && resource\.name\.endsWith\("\/mloop\.json"\)$/)],
    ]);
  });

  test("a changed table's audit log entry reaches onTableChanged through Eventarc: BigQuery jobs only, delivered as the events identity, retried", () => {
    const trigger = nested(functionFor('onTableChanged').block, 'event_trigger');
    expect(trigger.event_type).toBe('google.cloud.audit.log.v1.written');
    expect(trigger.retry_policy).toBe('RETRY_POLICY_RETRY');
    expect(trigger.trigger_region).toBe('global');
    expect(serviceAccountName(String(trigger.service_account_email))).toBe('events');
    expect(trigger.event_filters).toEqual([
      { attribute: 'serviceName', value: 'bigquery.googleapis.com' },
      { attribute: 'methodName', value: 'google.cloud.bigquery.v2.JobService.InsertJob' },
    ]);
    // the fixtures the handler is tested with are entries this trigger lets through
    for (const file of ['bigquery_table_data_change.json', 'bigquery_job_change.json']) {
      const event = JSON.parse(read(`test/fixtures/audit_logs/${file}`));
      expect([event.type, event.serviceName, event.methodName]).toEqual([trigger.event_type, 'bigquery.googleapis.com', 'google.cloud.bigquery.v2.JobService.InsertJob']);
    }
    // Eventarc's delivery identity receives events (project-wide: the role exists only there) and invokes this function
    const events = grants().filter((g) => principal(g.block) === 'events');
    expect(events.filter((g) => g.type === 'google_project_iam_member').map((g) => g.block.role)).toEqual(['roles/eventarc.eventReceiver']);
    expect(events.some((g) => g.block.role === 'roles/run.invoker' && dependsOn(g.block.service, 'google_cloudfunctions2_function.on_table_changed.'))).toBe(true);
    expect(dependsOn(functionFor('onTableChanged').block.depends_on, 'google_project_iam_member.events_receiver')).toBe(true);
  });

  test('onTableChanged runs as its own identity, which reads only mloop.json of the data bucket and publishes only training requests', () => {
    const watch = functionFor('onTableChanged').serviceAccount;
    expect(watch).toBe('watch');
    const mine = grants().filter((g) => principal(g.block) === watch);
    expect(mine.map((g) => [g.type, g.block.role]).sort()).toEqual([
      ['google_pubsub_topic_iam_member', 'roles/pubsub.publisher'],
      ['google_storage_bucket_iam_member', 'roles/storage.objectViewer'],
    ]);
    const reader = mine.find((g) => g.type === 'google_storage_bucket_iam_member')!;
    expect(dependsOn(reader.block.bucket, 'google_storage_bucket.data.')).toBe(true);
    expect(nested(reader.block, 'condition').expression).toMatch(/^resource\.type == "storage\.googleapis\.com\/Bucket" \|\| \(resource\.name\.startsWith\(".*\/objects\/datasets\/"\) && resource\.name\.endsWith\("\/mloop\.json"\)\)$/);
    expect(mine.find((g) => g.type === 'google_pubsub_topic_iam_member')!.block.topic).toBe('${google_pubsub_topic.topic["training-requested"].name}');
  });

  test("a BigQuery model's schedule is a Cloud Scheduler job whose tick becomes that model's snapshot request", () => {
    const scheduled = tf.withVariables({ bigquery_schedules: { payments: '0 3 * * *' } }).instances('google_cloud_scheduler_job').filter((j) => j.name === 'bigquery_snapshot');
    expect(scheduled.map((j) => [j.key, j.block.schedule])).toEqual([['payments', '0 3 * * *']]);
    const target = nested(scheduled[0].block, 'pubsub_target');
    expect(target.topic_name).toBe('${google_pubsub_topic.topic["training-requested"].id}');
    // the HCL object, with each.key as this instance's key
    const payload = /^\$\{base64encode\(jsonencode\((.*)\)\)\}$/.exec(String(target.data))![1].replace(/\beach\.key\b/g, `"${scheduled[0].key}"`);
    const tick = Object.fromEntries([...payload.matchAll(/(\w+)\s*=\s*"?([\w-]+)"?/g)].map((m) => [m[1], m[2]]));
    const request = scheduledRequest(tick, { id: '42', publishTime: '2026-12-02T03:00:00Z' });
    expect(TrainingRequested.parse(request)).toMatchObject({ model: 'payments', source: 'bigquery', request_id: 'schedule:payments:42' });
  });

  test('the prediction log and feedback files are external tables where the code writes them, the log hive-partitioned by dt and model', () => {
    const log = tf.resource('google_bigquery_table', 'predictions');
    const external = nested(log, 'external_data_configuration');
    expect(external.source_uris).toEqual([`gs://\${google_storage_bucket.artifacts.name}/${PREDICTIONS_PREFIX}*`]);
    const hive = nested(external, 'hive_partitioning_options');
    expect(hive.source_uri_prefix).toBe(`gs://\${google_storage_bucket.artifacts.name}/${PREDICTIONS_PREFIX}{dt:DATE}/{model:STRING}`);
    // the layout those keys name is the one the scoring service writes
    expect(predictionObjectPrefix('fraud', '2026-12-01')).toBe(`${PREDICTIONS_PREFIX}dt=2026-12-01/model=fraud/`);
    const feedback = nested(tf.resource('google_bigquery_table', 'feedback'), 'external_data_configuration');
    expect(feedback.source_uris).toEqual([`gs://\${google_storage_bucket.data.name}/${FEEDBACK_PREFIX}*`]);
  });
});

describe('Firestore indexes', () => {
  const direction = { asc: 'ASCENDING', desc: 'DESCENDING' } as const;

  /** What each query needs: equality fields, then its orderBy, when it orders by another field. */
  function neededIndexes(): Array<{ collection: string; fields: Array<[string, string]>; from: string }> {
    return pipelineQueries()
      .filter((q) => q.orderBy.length > 0 && q.equality.some((field) => field !== q.orderBy[0][0]))
      .map((q) => {
        if (q.orderBy.length > 1) throw new Error(`${q.file}: ordering by several fields needs its own index rule in this test`);
        return q;
      })
      .map((q) => ({
        collection: q.collection,
        fields: [...q.equality.map((f): [string, string] => [f, 'ASCENDING']), ...q.orderBy.map(([f, d]): [string, string] => [f, direction[d]])],
        from: q.file,
      }));
  }

  function declaredIndexes() {
    return tf.instances('google_firestore_index').map((i) => ({
      address: i.address,
      collection: i.block.collection,
      fields: (i.block.fields as Block[]).map((f): [string, string] => [String(f.field_path), String(f.order)]),
    }));
  }

  // Equality fields may come in any order in an index; the ordering field comes last, with its direction.
  const key = (collection: unknown, fields: Array<[string, string]>) => {
    const last = fields[fields.length - 1];
    return `${collection}|${fields.slice(0, -1).map(([f]) => f).sort().join(',')}|${last.join(' ')}`;
  };

  test('the query parser sees the queries of the store', () => {
    const queries = pipelineQueries();
    expect(queries.length).toBeGreaterThanOrEqual(8);
    expect(queries).toContainEqual(expect.objectContaining({ collection: 'runs', equality: ['status'], orderBy: [['created_at', 'asc']] }));
  });

  test('every query that needs a composite index has it, and every index serves a query', () => {
    const needed = neededIndexes();
    const declared = declaredIndexes();
    expect(needed.length).toBeGreaterThan(0);
    const declaredKeys = new Set(declared.map((d) => key(d.collection, d.fields)));
    expect(needed.filter((n) => !declaredKeys.has(key(n.collection, n.fields)))).toEqual([]);
    const neededKeys = new Set(needed.map((n) => key(n.collection, n.fields)));
    expect(declared.filter((d) => !neededKeys.has(key(d.collection, d.fields))).map((d) => d.address)).toEqual([]);
  });
});
