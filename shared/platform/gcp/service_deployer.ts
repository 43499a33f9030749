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
  /** Share of traffic the new revision gets while the one serving now keeps the rest; 0: all of it. */
  canaryPercent?: number;
  logger?: Logger;
}

/**
 * Rolls the scoring service onto a model version: a new Cloud Run revision whose serving container
 * has `MODEL_VERSION` (and `MLOOP_MODEL`) set, with all traffic on the latest revision — or, with a
 * canary percentage, that share on it and the rest on the revision that served before. The service is
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
      const [container, ...sidecars] = containers;
      const env = container.env ?? [];
      const serving = shortName(service.latestReadyRevision || service.latestCreatedRevision || '');
      if (valueOf(env, ROLLOUT_ENV.model) === model && valueOf(env, ROLLOUT_ENV.version) === version && trafficIsRolledOut(service, this.options.canaryPercent ?? 0)) {
        return { revision: serving };
      }
      const { revision: _named, ...template } = service.template!;
      const next = {
        ...service,
        template: {
          ...template,
          containers: [{ ...container, env: withValues(env, { [ROLLOUT_ENV.model]: model, [ROLLOUT_ENV.version]: version }) }, ...sidecars],
        },
        traffic: rolloutTraffic(this.options.canaryPercent ?? 0, serving),
      };
      try {
        const [operation] = await this.options.services.updateService({ service: next });
        const [updated] = await operation.promise();
        const revision = shortName(updated.latestReadyRevision || updated.latestCreatedRevision || '');
        this.options.logger?.info({ model, version, revision, canary_percent: this.options.canaryPercent ?? 0, previous: serving }, 'scoring service rolled to a new revision');
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

type Traffic = NonNullable<Service['traffic']>;

/**
 * All traffic to the new (latest) revision; or, for a canary, its share to the new one and the rest to
 * the revision serving now, until the next promotion (or `gcloud run services update-traffic --to-latest`).
 */
function rolloutTraffic(canaryPercent: number, previous: string): Traffic {
  if (canaryPercent <= 0 || !previous) return [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
  return [
    { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: canaryPercent },
    { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: previous, percent: 100 - canaryPercent },
  ];
}

/** The latest revision has the share a rollout gives it: all, or the canary's. */
function trafficIsRolledOut(service: Service, canaryPercent: number): boolean {
  const latest = (service.traffic ?? []).find((t) => t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST');
  return latest?.percent === (canaryPercent > 0 && (service.traffic ?? []).length > 1 ? canaryPercent : 100);
}

const shortName = (name: string) => name.slice(name.lastIndexOf('/') + 1);
