import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { cancelExecution, executionResource, startExecution, taskResources, timestamp, type ExecutionRun, type FakeJob } from './cloud_run_executions';
import { normalizeService, packAny, service, withoutDefaults } from './cloud_run_protos';

/**
 * A strict fake of the Cloud Run Admin API v2 over gRPC on 127.0.0.1, built from the client's own
 * `.proto` files. It serves one job (RunJob runs its script as local processes with the overrides'
 * environment) and one service (UpdateService rolls a new revision), plus the execution, task and
 * long-running operation reads the client needs. A method it does not serve, a request field it does
 * not expect, or an UpdateService that changes anything but the serving container's environment and
 * the traffic is refused and recorded in `unexpected`.
 */
export interface FakeCloudRunOptions {
  project: string;
  region: string;
  job: { name: string; script: string; env: Record<string, string>; timeoutSeconds: number };
  service: { name: string; image: string; env: Record<string, string> };
}

export interface FakeCloudRun {
  /** host:port, plaintext. */
  endpoint: string;
  jobName: string;
  serviceName: string;
  calls: Array<{ method: string; request: Record<string, unknown> }>;
  unexpected: string[];
  executions: Map<string, ExecutionRun>;
  /** The service as GetService reports it now. */
  currentService(): Record<string, unknown>;
  close(): Promise<void>;
}

type Unary = grpc.handleUnaryCall<Record<string, unknown>, unknown>;

class Refused extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeCloudRun(options: FakeCloudRunOptions): Promise<FakeCloudRun> {
  const location = `projects/${options.project}/locations/${options.region}`;
  const job: FakeJob = {
    name: `${location}/jobs/${options.job.name}`,
    script: options.job.script,
    env: options.job.env,
    timeoutSeconds: options.job.timeoutSeconds,
    logDir: fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-fake-run-')),
  };
  const executions = new Map<string, ExecutionRun>();
  const operations = new Map<string, () => Record<string, unknown>>();
  const calls: FakeCloudRun['calls'] = [];
  const unexpected: string[] = [];
  let current = initialService(location, options.service);

  const server = new grpc.Server();
  const handle =
    (method: string, body: (request: Record<string, unknown>) => Promise<unknown> | unknown): Unary =>
    (call, callback) => {
      calls.push({ method, request: call.request });
      Promise.resolve()
        .then(() => body(call.request))
        .then(
          (response) => callback(null, response),
          (err: unknown) => {
            const refused = err instanceof Refused ? err : new Refused(grpc.status.INTERNAL, String(err));
            if (refused.code === grpc.status.INVALID_ARGUMENT || refused.code === grpc.status.UNIMPLEMENTED) unexpected.push(`${method}: ${refused.message}`);
            callback({ code: refused.code, details: refused.message });
          },
        );
    };

  const operation = (done: () => Record<string, unknown> | null, metadata: Record<string, unknown>) => {
    const name = `${location}/operations/${randomUUID()}`;
    const read = () => {
      const response = done();
      return { name, metadata, done: response !== null, ...(response && { response }) };
    };
    operations.set(name, read);
    return read();
  };

  serve(server, 'google.cloud.run.v2.Jobs', {
    RunJob: handle('RunJob', (request) => {
      onlyKeys(request, ['name', 'overrides']);
      if (request.name !== job.name) throw new Refused(grpc.status.NOT_FOUND, `Job ${String(request.name)} not found`);
      const overrides = request.overrides as Record<string, unknown> | undefined;
      if (!overrides) throw new Refused(grpc.status.INVALID_ARGUMENT, 'RunJob without overrides: mloop always sets them');
      onlyKeys(overrides, ['containerOverrides', 'taskCount', 'timeout']);
      const containers = (overrides.containerOverrides as Array<Record<string, unknown>> | undefined) ?? [];
      if (containers.length !== 1) throw new Refused(grpc.status.INVALID_ARGUMENT, `expected one container override, got ${containers.length}`);
      onlyKeys(containers[0], ['env']);
      const env: Record<string, string> = {};
      for (const entry of (containers[0].env as Array<Record<string, unknown>> | undefined) ?? []) {
        onlyKeys(entry, ['name', 'value']);
        if (typeof entry.name !== 'string' || typeof entry.value !== 'string') throw new Refused(grpc.status.INVALID_ARGUMENT, `env override ${JSON.stringify(entry)} is not a name and a value`);
        if (entry.name in env) throw new Refused(grpc.status.INVALID_ARGUMENT, `env override ${entry.name} given twice`);
        env[entry.name] = entry.value;
      }
      const timeout = overrides.timeout as { seconds?: string; nanos?: number } | undefined;
      if (timeout) onlyKeys(timeout, ['seconds']);
      const taskCount = Number(overrides.taskCount ?? 1);
      const timeoutSeconds = timeout ? Number(timeout.seconds) : job.timeoutSeconds;
      if (!(taskCount >= 1) || !(timeoutSeconds >= 1)) throw new Refused(grpc.status.INVALID_ARGUMENT, 'taskCount and timeout must be positive');
      const run = startExecution(job, { env, taskCount, timeoutSeconds });
      executions.set(run.name, run);
      return operation(
        () => (run.completionTime ? packAny('google.cloud.run.v2.Execution', executionResource(job, run)) : null),
        packAny('google.cloud.run.v2.Execution', executionResource(job, run)),
      );
    }),
  });

  const runOf = (name: unknown) => {
    const run = executions.get(String(name));
    if (!run) throw new Refused(grpc.status.NOT_FOUND, `Execution ${String(name)} not found`);
    return run;
  };

  serve(server, 'google.cloud.run.v2.Executions', {
    GetExecution: handle('GetExecution', (request) => {
      onlyKeys(request, ['name']);
      return executionResource(job, runOf(request.name));
    }),
    CancelExecution: handle('CancelExecution', async (request) => {
      onlyKeys(request, ['name']);
      const run = runOf(request.name);
      if (run.completionTime) throw new Refused(grpc.status.FAILED_PRECONDITION, `Execution ${run.name} has already completed`);
      await cancelExecution(run);
      const resource = packAny('google.cloud.run.v2.Execution', executionResource(job, run));
      return operation(() => resource, resource);
    }),
  });

  serve(server, 'google.cloud.run.v2.Tasks', {
    ListTasks: handle('ListTasks', (request) => {
      onlyKeys(request, ['parent', 'pageSize', 'pageToken']);
      return { tasks: taskResources(job, runOf(request.parent)) };
    }),
  });

  serve(server, 'google.cloud.run.v2.Services', {
    GetService: handle('GetService', (request) => {
      onlyKeys(request, ['name']);
      if (request.name !== current.name) throw new Refused(grpc.status.NOT_FOUND, `Service ${String(request.name)} not found`);
      return current;
    }),
    UpdateService: handle('UpdateService', (request) => {
      onlyKeys(request, ['service']);
      current = nextRevision(current, request.service as Record<string, unknown>);
      const resource = packAny('google.cloud.run.v2.Service', current);
      return operation(() => resource, resource);
    }),
  });

  serve(server, 'google.longrunning.Operations', {
    GetOperation: handle('GetOperation', (request) => {
      onlyKeys(request, ['name']);
      const read = operations.get(String(request.name));
      if (!read) throw new Refused(grpc.status.NOT_FOUND, `Operation ${String(request.name)} not found`);
      return read();
    }),
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );

  return {
    endpoint: `127.0.0.1:${port}`,
    jobName: job.name,
    serviceName: String(current.name),
    calls,
    unexpected,
    executions,
    currentService: () => current,
    close: async () => {
      await Promise.all([...executions.values()].filter((run) => !run.completionTime).map(cancelExecution));
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** Every method of the service, with the ones given implemented and the rest refused as unexpected. */
function serve(server: grpc.Server, name: string, implemented: Record<string, Unary>): void {
  const definition = service(name);
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    handlers[method] =
      implemented[method] ??
      ((_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback({ code: grpc.status.UNIMPLEMENTED, details: `the fake does not serve ${name}.${method}` }));
  }
  server.addService(definition, handlers);
}

function onlyKeys(message: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(message).filter((key) => !allowed.includes(key));
  if (extra.length) throw new Refused(grpc.status.INVALID_ARGUMENT, `unexpected field(s) ${extra.join(', ')} in ${JSON.stringify(message)}`);
}

function initialService(location: string, options: FakeCloudRunOptions['service']): Record<string, unknown> {
  const name = `${location}/services/${options.name}`;
  const revision = `${name}/revisions/${options.name}-00001-${suffix()}`;
  return normalizeService({
    name,
    uid: randomUUID(),
    generation: '1',
    labels: { 'goog-managed-by': 'cloudfunctions' },
    createTime: timestamp(new Date()),
    ingress: 'INGRESS_TRAFFIC_ALL',
    template: {
      serviceAccount: `score@${location.split('/')[1]}.iam.gserviceaccount.com`,
      scaling: { maxInstanceCount: 10 },
      maxInstanceRequestConcurrency: 80,
      containers: [
        {
          name: 'worker',
          image: options.image,
          env: Object.entries(options.env).map(([key, value]) => ({ name: key, value })),
          resources: { limits: { cpu: '1', memory: '2Gi' } },
          ports: [{ name: 'http1', containerPort: 8080 }],
        },
      ],
    },
    traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    observedGeneration: '1',
    latestReadyRevision: revision,
    latestCreatedRevision: revision,
    trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    uri: `https://${options.name}-fake.a.run.app`,
    conditions: [{ type: 'Ready', state: 'CONDITION_SUCCEEDED' }],
    etag: `"${randomUUID()}"`,
  });
}

/**
 * A read-modify-write of the whole service that changes only what a new scoring revision needs:
 * the serving container's environment and the traffic (all to the latest revision, or a canary).
 */
function nextRevision(current: Record<string, unknown>, sent: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!sent) throw new Refused(grpc.status.INVALID_ARGUMENT, 'UpdateService without a service');
  if (sent.name !== current.name) throw new Refused(grpc.status.NOT_FOUND, `Service ${String(sent.name)} not found`);
  if (sent.etag !== current.etag) throw new Refused(grpc.status.ABORTED, `etag ${String(sent.etag)} is stale; the service is at ${String(current.etag)}`);
  const expectedTraffic = rolloutTraffic(current, sent.traffic);
  const sentTemplate = sent.template as Record<string, unknown>;
  if (sentTemplate.revision !== undefined) throw new Refused(grpc.status.INVALID_ARGUMENT, `template.revision ${String(sentTemplate.revision)}: Cloud Run should name the revision`);
  const withoutRollout = (s: Record<string, unknown>) => {
    const template = s.template as { containers: Array<Record<string, unknown>> } & Record<string, unknown>;
    const [serving, ...others] = template.containers;
    const { env: _env, ...servingRest } = serving;
    const { traffic: _traffic, ...rest } = s;
    return { ...rest, template: { ...template, containers: [servingRest, ...others] } };
  };
  const changed = differences(withoutDefaults(withoutRollout(normalizeService(sent))), withoutDefaults(withoutRollout(current)));
  if (changed.length) {
    throw new Refused(grpc.status.INVALID_ARGUMENT, `UpdateService changed more than the serving container env and the traffic: ${changed.join(', ')}`);
  }
  const generation = Number(current.generation) + 1;
  const shortService = String(current.name).slice(String(current.name).lastIndexOf('/') + 1);
  const revision = `${String(current.name)}/revisions/${shortService}-${String(generation).padStart(5, '0')}-${suffix()}`;
  return normalizeService({
    ...current,
    template: sentTemplate,
    traffic: expectedTraffic,
    trafficStatuses: expectedTraffic,
    generation: String(generation),
    observedGeneration: String(generation),
    latestCreatedRevision: revision,
    latestReadyRevision: revision,
    etag: `"${randomUUID()}"`,
  });
}

/**
 * All traffic to the latest revision, or a canary: a share to the latest and the rest to the revision
 * serving now, as Cloud Run accepts them (shares of 1 to 99 summing to 100, a revision that exists).
 */
function rolloutTraffic(current: Record<string, unknown>, traffic: unknown): Array<Record<string, unknown>> {
  const all = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
  if (isDeepStrictEqual(traffic, all)) return all;
  const serving = String(current.latestReadyRevision);
  const previous = serving.slice(serving.lastIndexOf('/') + 1);
  const split = traffic as Array<{ type?: string; percent?: number; revision?: string }>;
  const canary = Array.isArray(split) && split.length === 2 ? split[0].percent : undefined;
  const expected = [
    { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: canary },
    { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: previous, percent: 100 - (canary ?? 0) },
  ];
  if (typeof canary !== 'number' || !Number.isInteger(canary) || canary < 1 || canary > 99 || !isDeepStrictEqual(traffic, expected)) {
    throw new Refused(grpc.status.INVALID_ARGUMENT, `traffic ${JSON.stringify(traffic)}, expected all to the latest revision or a canary beside ${previous}`);
  }
  return expected;
}

/** The paths where two decoded messages differ. */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return [at || '(root)'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((key) => differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at ? `${at}.${key}` : key));
}

const suffix = () => randomBytes(2).toString('hex').slice(0, 3);
