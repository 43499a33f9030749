import type { ServicesClient } from '@google-cloud/run';
import type { google } from '@google-cloud/run/build/protos/protos';
import { preconditionFailed } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { ServiceDeployer } from '../ports';
import { GRPC, fromGrpc, grpcCode } from './errors';

type Service = google.cloud.run.v2.IService;
type EnvVar = google.cloud.run.v2.IEnvVar;

// Another writer (a deploy, a concurrent promotion) changed the service between read and write.
const MAX_ATTEMPTS = 3;
const ROLLOUT_ENV = { model: 'MLOOP_MODEL', version: 'MODEL_VERSION' } as const;

export interface CloudRunServiceDeployerOptions {
  services: ServicesClient;
  /** projects/<project>/locations/<region>/services/<service> */
  service: string;
  logger?: Logger;
}

/**
 * Rolls the scoring service onto a model version: a new Cloud Run revision whose serving container
 * has `MODEL_VERSION` (and `MLOOP_MODEL`) set, with all traffic on the latest revision. The service is
 * read, changed in exactly those places and written back with its etag, so nothing else Terraform set
 * is lost and a concurrent change is retried rather than overwritten. Asking for what is already
 * served changes nothing: a redelivered promotion does not roll another revision.
 */
export class CloudRunServiceDeployer implements ServiceDeployer {
  constructor(private readonly options: CloudRunServiceDeployerOptions) {}

  async deploy(model: string, version: string): Promise<{ revision: string }> {
    for (let attempt = 1; ; attempt++) {
      const service = await this.read();
      const containers = service.template?.containers ?? [];
      if (containers.length === 0) throw preconditionFailed(`Cloud Run service ${this.options.service} has no container to configure`);
      const [serving, ...sidecars] = containers;
      const env = serving.env ?? [];
      if (valueOf(env, ROLLOUT_ENV.model) === model && valueOf(env, ROLLOUT_ENV.version) === version && allTrafficToLatest(service)) {
        return { revision: shortName(service.latestReadyRevision || service.latestCreatedRevision || '') };
      }
      const { revision: _named, ...template } = service.template!;
      const next = {
        ...service,
        template: {
          ...template,
          containers: [{ ...serving, env: withValues(env, { [ROLLOUT_ENV.model]: model, [ROLLOUT_ENV.version]: version }) }, ...sidecars],
        },
        traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' as const, percent: 100 }],
      };
      try {
        const [operation] = await this.options.services.updateService({ service: next });
        const [updated] = await operation.promise();
        const revision = shortName(updated.latestReadyRevision || updated.latestCreatedRevision || '');
        this.options.logger?.info({ model, version, revision }, 'scoring service rolled to a new revision');
        return { revision };
      } catch (err) {
        if (grpcCode(err) === GRPC.ABORTED && attempt < MAX_ATTEMPTS) continue;
        throw fromGrpc(err, `updating Cloud Run service ${this.options.service}`);
      }
    }
  }

  private async read(): Promise<Service> {
    try {
      const [service] = await this.options.services.getService({ name: this.options.service });
      return service;
    } catch (err) {
      throw fromGrpc(err, `reading Cloud Run service ${this.options.service}`);
    }
  }
}

function valueOf(env: EnvVar[], name: string): string | undefined {
  return env.find((entry) => entry.name === name)?.value ?? undefined;
}

/** The variables with these set: existing ones changed in place, new ones appended. */
function withValues(env: EnvVar[], values: Record<string, string>): EnvVar[] {
  const updated = env.map((entry) => (entry.name && entry.name in values ? { name: entry.name, value: values[entry.name] } : entry));
  const present = new Set(env.map((entry) => entry.name));
  return [...updated, ...Object.entries(values).filter(([name]) => !present.has(name)).map(([name, value]) => ({ name, value }))];
}

function allTrafficToLatest(service: Service): boolean {
  const traffic = service.traffic ?? [];
  return traffic.length === 1 && traffic[0].type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' && traffic[0].percent === 100;
}

const shortName = (name: string) => name.slice(name.lastIndexOf('/') + 1);
