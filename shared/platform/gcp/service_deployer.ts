import type { RevisionsClient, ServicesClient } from '@google-cloud/run';
import type { google } from '@google-cloud/run/build/protos/protos';
import { MloopError, preconditionFailed } from '../../core/errors';
import type { Logger } from '../../core/log';
import { formatModelVersions, SERVED_MODELS_ENV, SHADOW_MODELS_ENV, type ServedModels } from '../../core/served_models';
import type { Deployment, ServiceDeployer, ServingRollout, TrafficShare } from '../ports';
import { GRPC, fromGrpc, grpcCode } from './errors';

type Service = google.cloud.run.v2.IService;
type Revision = google.cloud.run.v2.IRevision;
type Container = google.cloud.run.v2.IContainer;
type EnvVar = google.cloud.run.v2.IEnvVar;

// Another writer (Terraform, a concurrent promotion) changed the service between read and write.
const MAX_ATTEMPTS = 3;
const REVISION_TARGET = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

export interface CloudRunServiceDeployerOptions {
  services: ServicesClient;
  revisions: RevisionsClient;
  /** projects/<project>/locations/<region>/services/<service> */
  service: string;
  logger?: Logger;
}

/**
 * Points the scoring service at revisions serving exactly the versions asked for. A revision's
 * versions are its environment (MLOOP_SERVED_MODELS, MLOOP_SHADOW_MODELS), read once when it starts, so
 * a revision never changes what it serves: a new set of versions is a new revision, created with no
 * traffic (Cloud Run reports it only once its startup probe, which waits for the models to be loaded
 * and warmed, passes), then given its share. A set some revision already serves (a rollback, an
 * aborted canary) only moves the traffic. Traffic always names revisions, never "latest", so creating
 * a revision never moves traffic by itself. The service is read and written back with its etag, so
 * nothing else Terraform set is lost and a concurrent change is retried rather than overwritten.
 */
export class CloudRunServiceDeployer implements ServiceDeployer {
  constructor(private readonly options: CloudRunServiceDeployerOptions) {}

  async deploy(rollout: ServingRollout): Promise<Deployment> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deployOnce(rollout);
      } catch (err) {
        if (grpcCode(err) === GRPC.ABORTED && attempt < MAX_ATTEMPTS) continue;
        if (err instanceof MloopError) throw err;
        throw fromGrpc(err, `deploying Cloud Run service ${this.options.service}`);
      }
    }
  }

  private async deployOnce(rollout: ServingRollout): Promise<Deployment> {
    let service = await this.read();
    const revisions = await this.listRevisions();
    const sets = rollout.canary ? [rollout.canary.stable, rollout.target] : [rollout.target];
    const created: string[] = [];
    const names: string[] = [];
    for (const served of sets) {
      const template = templateServing(service, served);
      let name = revisions.find((revision) => serves(revision, template))?.name;
      if (!name) {
        // The traffic as it is, pinned to revisions, so the new one gets none until it is given its share.
        service = await this.update({ ...service, template, traffic: pinned(service) }, `create a revision serving ${describe(served)}`);
        if (!service.latestReadyRevision || service.latestReadyRevision !== service.latestCreatedRevision) {
          throw new MloopError('unavailable', `the revision serving ${describe(served)} did not become ready (see its logs in Cloud Run); traffic was not moved`);
        }
        name = service.latestReadyRevision;
        created.push(shortName(name));
        revisions.push({ name, containers: template.containers });
      }
      names.push(shortName(name));
    }
    const traffic: TrafficShare[] = rollout.canary
      ? [
          { revision: names[1], percent: rollout.canary.percent },
          { revision: names[0], percent: 100 - rollout.canary.percent },
        ]
      : [{ revision: names[0], percent: 100 }];
    if (!sameTraffic(service, traffic)) {
      service = await this.update({ ...service, traffic: traffic.map((t) => ({ type: REVISION_TARGET, revision: t.revision, percent: t.percent })) }, 'move traffic');
    }
    const deployment = { revision: names[names.length - 1], traffic, created };
    this.options.logger?.info({ ...deployment, served: describe(rollout.target) }, 'scoring service deployed');
    return deployment;
  }

  private async read(): Promise<Service> {
    const [service] = await this.options.services.getService({ name: this.options.service });
    if (!service.template?.containers?.length) throw preconditionFailed(`Cloud Run service ${this.options.service} has no container to configure`);
    return service;
  }

  private async listRevisions(): Promise<Revision[]> {
    const [revisions] = await this.options.revisions.listRevisions({ parent: this.options.service });
    // A revision that failed to start is never given traffic.
    return revisions.filter((r) => !r.deleteTime && (r.conditions ?? []).every((c) => c.type !== 'Ready' || c.state === 'CONDITION_SUCCEEDED'));
  }

  private async update(next: Service, what: string): Promise<Service> {
    const [operation] = await this.options.services.updateService({ service: next });
    const [updated] = await operation.promise();
    this.options.logger?.debug({ service: this.options.service, what }, 'scoring service updated');
    return updated;
  }
}

/** The service's template with the serving container's environment set to serve `served`. */
function templateServing(service: Service, served: ServedModels): google.cloud.run.v2.IRevisionTemplate {
  // Cloud Run names each revision; a name carried over from the read would clash with the existing one.
  const { revision: _named, ...template } = service.template!;
  const [container, ...sidecars] = template.containers!;
  const env = withValues(container.env ?? [], {
    [SERVED_MODELS_ENV]: formatModelVersions(served.models),
    [SHADOW_MODELS_ENV]: formatModelVersions(served.shadows),
  });
  return { ...template, containers: [{ ...container, env }, ...sidecars] };
}

/** A revision serves a template's set when its serving container runs the same image with the same environment. */
function serves(revision: Revision, template: google.cloud.run.v2.IRevisionTemplate): boolean {
  const [mine] = revision.containers ?? [];
  const [wanted] = template.containers ?? [];
  return !!mine && mine.image === wanted.image && envKey(mine) === envKey(wanted);
}

function envKey(container: Container): string {
  return JSON.stringify(
    (container.env ?? [])
      .filter((e) => e.value !== undefined && e.value !== null && !e.valueSource)
      .map((e) => [e.name, e.value])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

/** The variables with these set: existing ones changed in place, new ones appended. */
function withValues(env: EnvVar[], values: Record<string, string>): EnvVar[] {
  const updated = env.map((entry) => (entry.name && entry.name in values ? { name: entry.name, value: values[entry.name] } : entry));
  const present = new Set(env.map((entry) => entry.name));
  return [...updated, ...Object.entries(values).filter(([name]) => !present.has(name)).map(([name, value]) => ({ name, value }))];
}

/** The current traffic with "latest" resolved to the revision it means now. */
function pinned(service: Service): google.cloud.run.v2.ITrafficTarget[] {
  const latest = service.latestReadyRevision ? shortName(service.latestReadyRevision) : undefined;
  const targets = (service.traffic ?? []).filter((t) => (t.percent ?? 0) > 0);
  if (targets.some((t) => t.type !== REVISION_TARGET) && !latest) {
    throw preconditionFailed(`Cloud Run service has traffic on its latest revision but no ready revision; deploy it once (terraform apply) first`);
  }
  return targets.map((t) => ({ type: REVISION_TARGET, revision: t.type === REVISION_TARGET ? t.revision : latest, percent: t.percent }));
}

function sameTraffic(service: Service, traffic: TrafficShare[]): boolean {
  const key = (targets: Array<{ type?: unknown; revision?: string | null; percent?: number | null }>) =>
    targets
      .filter((t) => (t.percent ?? 0) > 0)
      .map((t) => `${t.type ?? REVISION_TARGET}:${t.revision}:${t.percent}`)
      .sort()
      .join(',');
  return key(service.traffic ?? []) === key(traffic);
}

function describe(served: ServedModels): string {
  const models = formatModelVersions(served.models) || '(no model)';
  const shadows = formatModelVersions(served.shadows);
  return shadows ? `${models} (shadow ${shadows})` : models;
}

const shortName = (name: string) => name.slice(name.lastIndexOf('/') + 1);
