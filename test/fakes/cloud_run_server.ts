import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { cancelExecution, executionResource, startExecution, taskResources, type ExecutionRun, type FakeJob } from './cloud_run_executions';
import { packAny, service } from './cloud_run_protos';
import { FakeScoringService, Refused, type ServiceOptions } from './cloud_run_revisions';

/**
 * A strict fake of the Cloud Run Admin API v2 over gRPC on 127.0.0.1, built from the client's own
 * `.proto` files. It serves one job (RunJob runs its script as local processes with the overrides'
 * environment) and one service (revisions and traffic: cloud_run_revisions.ts), plus the execution,
 * task, revision and long-running operation reads the client needs. A method it does not serve, a
 * request field it does not expect, or an UpdateService that changes anything but the serving
 * container's environment and the traffic is refused and recorded in `unexpected`.
 */
export interface FakeCloudRunOptions {
  project: string;
  region: string;
  job: { name: string; script: string; env: Record<string, string>; timeoutSeconds: number };
  service: ServiceOptions;
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
  /** Its revisions and traffic; `scoring.listen()` routes HTTP requests by the split. */
  scoring: FakeScoringService;
  close(): Promise<void>;
}

type Unary = grpc.handleUnaryCall<Record<string, unknown>, unknown>;

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
  const scoring = await FakeScoringService.create(location, options.service);

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
      return scoring.get(request.name);
    }),
    UpdateService: handle('UpdateService', async (request) => {
      onlyKeys(request, ['service']);
      const updated = await scoring.update(request.service as Record<string, unknown>);
      const resource = packAny('google.cloud.run.v2.Service', updated);
      return operation(() => resource, resource);
    }),
  });

  serve(server, 'google.cloud.run.v2.Revisions', {
    ListRevisions: handle('ListRevisions', (request) => {
      onlyKeys(request, ['parent', 'pageSize', 'pageToken', 'showDeleted']);
      return scoring.list(request);
    }),
    GetRevision: handle('GetRevision', (request) => {
      onlyKeys(request, ['name']);
      return scoring.revision(request.name);
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
    serviceName: scoring.name,
    calls,
    unexpected,
    executions,
    currentService: () => scoring.current,
    scoring,
    close: async () => {
      await Promise.all([...executions.values()].filter((run) => !run.completionTime).map(cancelExecution));
      await scoring.close();
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
