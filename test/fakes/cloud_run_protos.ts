import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The Cloud Run Admin API v2 services, loaded from the `.proto` files that ship in @google-cloud/run
 * (and the google/api, longrunning and protobuf ones its gax ships), exactly what the client speaks.
 */
const RUN_DIR = path.dirname(require.resolve('@google-cloud/run/package.json'));
// Resolved as the Cloud Run client resolves it: its own dependency, whatever the hoisting.
const GAX_DIR = path.resolve(createRequire(path.join(RUN_DIR, 'package.json')).resolve('google-gax'), '..', '..', '..');

const definition = protoLoader.loadSync(
  ['google/cloud/run/v2/job.proto', 'google/cloud/run/v2/execution.proto', 'google/cloud/run/v2/task.proto', 'google/cloud/run/v2/service.proto', 'google/cloud/run/v2/revision.proto', 'google/longrunning/operations.proto'],
  {
    includeDirs: [path.join(RUN_DIR, 'build', 'protos'), path.join(GAX_DIR, 'build', 'protos')],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: false,
  },
);


export function service(name: string): grpc.ServiceDefinition {
  return (definition[name] as grpc.ServiceDefinition) ?? fail(`no service ${name} in the protos`);
}

type Message = Record<string, unknown>;

/**
 * A message of `type` packed in a google.protobuf.Any, as long-running operations carry their
 * metadata and response: encoded with the serializer of an RPC that returns that type.
 */
export function packAny(type: 'google.cloud.run.v2.Execution' | 'google.cloud.run.v2.Service', message: Message): { typeUrl: string; value: Buffer } {
  const via = type === 'google.cloud.run.v2.Execution' ? service('google.cloud.run.v2.Executions').GetExecution : service('google.cloud.run.v2.Services').GetService;
  return { typeUrl: `type.googleapis.com/${type}`, value: via.responseSerialize(message) };
}

/** What a Revision reads as after a trip over the wire. */
export function normalizeRevision(message: Message): Message {
  const via = service('google.cloud.run.v2.Revisions').GetRevision;
  return via.responseDeserialize(via.responseSerialize(message)) as Message;
}

/** What `message` reads as after a trip over the wire. */
export function normalizeService(message: Message): Message {
  const via = service('google.cloud.run.v2.Services').GetService;
  return via.responseDeserialize(via.responseSerialize(message)) as Message;
}

/**
 * A decoded message without the fields that hold their type's default ('', 0, false, the zero enum,
 * empty lists and maps). A client that reads a resource gets those defaults filled in and sends them
 * back; for proto3 fields that is the same as leaving them out, so the fake compares without them.
 */
export function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutDefaults);
    return items.length ? items : undefined;
  }
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const kept = Object.entries(value)
      .map(([key, field]) => [key, withoutDefaults(field)] as const)
      .filter(([, field]) => field !== undefined);
    return kept.length ? Object.fromEntries(kept) : undefined;
  }
  if (value === '' || value === 0 || value === '0' || value === false || value === null) return undefined;
  if (typeof value === 'string' && /^[A-Z][A-Z0-9_]*_(UNSPECIFIED|UNDEFINED)$/.test(value)) return undefined;
  return value;
}

function fail(message: string): never {
  throw new Error(message);
}
