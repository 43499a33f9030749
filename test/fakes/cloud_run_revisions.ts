import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { timestamp } from './cloud_run_executions';
import { normalizeRevision, normalizeService, withoutDefaults } from './cloud_run_protos';

/**
 * The scoring service of the fake Cloud Run: revisions and traffic as the Admin API v2 describes them.
 * A revision is created only when UpdateService changes the template (here: the serving container's
 * environment, the only thing mloop may change in it); it is immutable after. Traffic names revisions
 * that exist and are ready (or "latest"), with shares summing to 100. With `startRevision`, each
 * revision is a process of its own started with the revision's environment, ready once its startup
 * probe answers 200, and `url` routes requests by the traffic split, as Cloud Run's front end does.
 */
export type Message = Record<string, unknown>;

export class Refused extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export interface RunningRevision {
  url: string;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  image: string;
  env: Record<string, string>;
  /** The container's startup probe path, as Terraform sets it. */
  startupProbePath?: string;
  /** Starts a revision's container; without it revisions are records only. */
  startRevision?: (revision: string, env: Record<string, string>) => Promise<RunningRevision>;
}

interface RevisionRecord {
  resource: Message;
  running?: RunningRevision;
}

export type Traffic = Array<{ type: string; revision?: string; percent: number }>;

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

export class FakeScoringService {
  current: Message;
  readonly revisions = new Map<string, RevisionRecord>();
  /** Every traffic split the service has had, oldest first. */
  readonly trafficHistory: Traffic[] = [];
  private routed = 0;
  private proxy?: http.Server;

  private constructor(
    private readonly location: string,
    private readonly options: ServiceOptions,
  ) {
    const name = `${location}/services/${options.name}`;
    this.current = normalizeService({
      name,
      uid: randomUUID(),
      generation: '0',
      labels: { 'managed-by': 'terraform' },
      createTime: timestamp(new Date()),
      ingress: 'INGRESS_TRAFFIC_ALL',
      template: {
        serviceAccount: `score@${location.split('/')[1]}.iam.gserviceaccount.com`,
        scaling: { maxInstanceCount: 10 },
        maxInstanceRequestConcurrency: 80,
        containers: [
          {
            name: 'score',
            image: options.image,
            env: Object.entries(options.env).map(([key, value]) => ({ name: key, value })),
            resources: { limits: { cpu: '1', memory: '2Gi' } },
            ports: [{ name: 'http1', containerPort: 8080 }],
            ...(options.startupProbePath && { startupProbe: { httpGet: { path: options.startupProbePath }, periodSeconds: 1, failureThreshold: 60 } }),
          },
        ],
      },
      traffic: [{ type: LATEST, percent: 100 }],
      uri: `https://${options.name}-fake.a.run.app`,
      conditions: [{ type: 'Ready', state: 'CONDITION_SUCCEEDED' }],
      etag: `"${randomUUID()}"`,
    });
  }

  /** The service as Terraform creates it: a first revision from its template, all traffic on the latest. */
  static async create(location: string, options: ServiceOptions): Promise<FakeScoringService> {
    const service = new FakeScoringService(location, options);
    await service.createRevision(service.current.template as Message);
    service.record(service.current.traffic as Traffic);
    return service;
  }

  get name(): string {
    return String(this.current.name);
  }

  /** GetService */
  get(name: unknown): Message {
    if (name !== this.current.name) throw new Refused(grpc.status.NOT_FOUND, `Service ${String(name)} not found`);
    return this.current;
  }

  /**
   * UpdateService: a read-modify-write of the whole service with its etag, changing nothing but the
   * serving container's environment and the traffic.
   */
  async update(sent: Message | undefined): Promise<Message> {
    if (!sent) throw new Refused(grpc.status.INVALID_ARGUMENT, 'UpdateService without a service');
    this.get(sent.name);
    if (sent.etag !== this.current.etag) throw new Refused(grpc.status.ABORTED, `etag ${String(sent.etag)} is stale; the service is at ${String(this.current.etag)}`);
    const template = sent.template as Message;
    if (template.revision !== undefined && template.revision !== '') throw new Refused(grpc.status.INVALID_ARGUMENT, `template.revision ${String(template.revision)}: Cloud Run should name the revision`);
    const changed = differences(withoutDefaults(withoutRollout(normalizeService(sent))), withoutDefaults(withoutRollout(this.current)));
    if (changed.length) throw new Refused(grpc.status.INVALID_ARGUMENT, `UpdateService changed more than the serving container env and the traffic: ${changed.join(', ')}`);
    const traffic = this.checkTraffic(sent.traffic);
    const generation = String(Number(this.current.generation) + 1);
    if (!isDeepStrictEqual(envOf(normalizeService(sent).template as Message), envOf(this.current.template as Message))) {
      const { name, ready } = await this.createRevision(template);
      this.current = normalizeService({ ...this.current, template: normalizeService({ template }).template, generation, observedGeneration: generation, etag: `"${randomUUID()}"` });
      // A revision that never became ready: Cloud Run keeps the traffic where it was and fails the operation.
      if (!ready) throw new Refused(grpc.status.FAILED_PRECONDITION, `Revision '${short(name)}' is not ready and cannot serve traffic. The user-provided container failed the configured startup probe checks.`);
    }
    this.current = normalizeService({ ...this.current, traffic, trafficStatuses: traffic, generation, observedGeneration: generation, etag: `"${randomUUID()}"` });
    if (!isDeepStrictEqual(traffic, this.trafficHistory[this.trafficHistory.length - 1])) this.record(traffic);
    return this.current;
  }

  /** ListRevisions, newest first, a page at a time. */
  list(request: Message): Message {
    if (request.parent !== this.current.name) throw new Refused(grpc.status.NOT_FOUND, `Service ${String(request.parent)} not found`);
    const all = [...this.revisions.values()].map((r) => r.resource).reverse();
    const size = Number(request.pageSize) || 50;
    const start = request.pageToken ? Number(request.pageToken) : 0;
    const page = all.slice(start, start + size);
    return { revisions: page, nextPageToken: start + size < all.length ? String(start + size) : '' };
  }

  /** GetRevision */
  revision(name: unknown): Message {
    const found = this.revisions.get(String(name));
    if (!found) throw new Refused(grpc.status.NOT_FOUND, `Revision ${String(name)} not found`);
    return found.resource;
  }

  /** The environment each revision was created with, by short name, oldest first. */
  revisionEnv(): Array<{ revision: string; env: Record<string, string> }> {
    return [...this.revisions.values()].map((r) => ({ revision: short(String(r.resource.name)), env: envOf(r.resource) }));
  }

  /** The traffic as revisions and shares, "latest" resolved. */
  traffic(): Array<{ revision: string; percent: number }> {
    return (this.current.traffic as Traffic).map((t) => ({ revision: t.type === LATEST ? short(String(this.current.latestReadyRevision)) : t.revision!, percent: t.percent }));
  }

  /**
   * An HTTP front end: each request goes to a revision by the traffic split (deterministically: of any
   * 100 consecutive requests, each revision gets exactly its share), answered with `x-fake-revision`.
   */
  async listen(): Promise<string> {
    this.proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const slot = (this.routed++ * 37) % 100;
        let sum = 0;
        const target = this.traffic().find((t) => (sum += t.percent) > slot);
        const running = target && this.revisions.get(`${this.name}/revisions/${target.revision}`)?.running;
        if (!target || !running) {
          res.writeHead(503).end(`no running revision for traffic slot ${slot}`);
          return;
        }
        const headers = { ...req.headers };
        delete headers.host;
        fetch(`${running.url}${req.url}`, { method: req.method, headers: headers as Record<string, string>, body: ['GET', 'HEAD'].includes(req.method!) ? undefined : Buffer.concat(chunks) })
          .then(async (answer) => {
            const body = Buffer.from(await answer.arrayBuffer());
            const passed = Object.fromEntries([...answer.headers].filter(([name]) => !['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'content-encoding'].includes(name)));
            res.writeHead(answer.status, { ...passed, 'x-fake-revision': target.revision });
            res.end(body);
          })
          .catch((err) => res.writeHead(502).end(String(err)));
      });
    });
    await new Promise<void>((resolve) => this.proxy!.listen(0, '127.0.0.1', resolve));
    const address = this.proxy.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.revisions.values()].map((r) => r.running?.stop()));
    if (this.proxy) await new Promise<void>((resolve) => this.proxy!.close(() => resolve()));
  }

  private record(traffic: Traffic): void {
    this.trafficHistory.push(traffic.map((t) => ({ ...t })));
  }

  private async createRevision(template: Message): Promise<{ name: string; ready: boolean }> {
    const generation = this.revisions.size + 1;
    const name = `${this.name}/revisions/${this.options.name}-${String(generation).padStart(5, '0')}-${randomBytes(2).toString('hex').slice(0, 3)}`;
    const containers = (normalizeService({ template }).template as Message).containers;
    const env = envOf({ containers });
    const running = this.options.startRevision ? await this.start(short(name), env) : undefined;
    const ready = !this.options.startRevision || running !== undefined;
    const resource = normalizeRevision({
      name,
      uid: randomUUID(),
      generation: '1',
      service: this.name,
      createTime: timestamp(new Date()),
      containers,
      serviceAccount: (template as { serviceAccount?: string }).serviceAccount,
      conditions: [{ type: 'Ready', state: ready ? 'CONDITION_SUCCEEDED' : 'CONDITION_FAILED' }],
    });
    this.revisions.set(name, { resource, running });
    this.current = normalizeService({ ...this.current, latestCreatedRevision: name, ...(ready && { latestReadyRevision: name }) });
    return { name, ready };
  }

  /** The revision's container, ready once its startup probe path answers 200 (60 s at most). */
  private async start(revision: string, env: Record<string, string>): Promise<RunningRevision | undefined> {
    const running = await this.options.startRevision!(revision, env);
    const path = this.options.startupProbePath ?? '/';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const status = await fetch(`${running.url}${path}`).then((r) => r.status, () => 0);
      if (status === 200) return running;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await running.stop();
    return undefined;
  }

  /** Shares of 1 to 100 summing to 100, on revisions that exist and are ready, each named once. */
  private checkTraffic(traffic: unknown): Traffic {
    const targets = (Array.isArray(traffic) ? traffic : []) as Traffic;
    const names = new Set<string>();
    for (const t of targets) {
      if (t.type === REVISION) {
        const record = this.revisions.get(`${this.name}/revisions/${t.revision}`);
        if (!record) throw new Refused(grpc.status.INVALID_ARGUMENT, `traffic names revision ${t.revision}, which does not exist`);
        if ((record.resource.conditions as Array<{ state: string }>)[0].state !== 'CONDITION_SUCCEEDED') throw new Refused(grpc.status.FAILED_PRECONDITION, `revision ${t.revision} is not ready`);
        if (names.has(t.revision!)) throw new Refused(grpc.status.INVALID_ARGUMENT, `traffic names revision ${t.revision} twice`);
        names.add(t.revision!);
      } else if (t.type !== LATEST) {
        throw new Refused(grpc.status.INVALID_ARGUMENT, `traffic target ${JSON.stringify(t)} has no allocation type`);
      }
      if (!Number.isInteger(t.percent) || t.percent < 1 || t.percent > 100) throw new Refused(grpc.status.INVALID_ARGUMENT, `traffic share ${t.percent} is not 1 to 100`);
    }
    const total = targets.reduce((sum, t) => sum + t.percent, 0);
    if (targets.length === 0 || total !== 100) throw new Refused(grpc.status.INVALID_ARGUMENT, `traffic ${JSON.stringify(traffic)} does not sum to 100`);
    return targets.map((t) => (t.type === LATEST ? { type: LATEST, percent: t.percent } : { type: REVISION, revision: t.revision, percent: t.percent }));
  }
}

/** The serving container's environment as name → value. */
export function envOf(holder: Message): Record<string, string> {
  const [container] = (holder.containers as Array<{ env?: Array<{ name: string; value: string }> }>) ?? [];
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
}

/** The service without what a rollout may change: the serving container's env, the traffic, output-only fields. */
function withoutRollout(service: Message): Message {
  const template = service.template as { containers: Message[] } & Message;
  const [serving, ...others] = template.containers;
  const { env: _env, ...servingRest } = serving;
  const { traffic: _t, trafficStatuses: _s, latestCreatedRevision: _c, latestReadyRevision: _r, generation: _g, observedGeneration: _o, ...rest } = service;
  return { ...rest, template: { ...template, revision: undefined, containers: [servingRest, ...others] } };
}

/** The paths where two decoded messages differ. */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return [at || '(root)'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((key) => differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at ? `${at}.${key}` : key));
}

const short = (name: string) => name.slice(name.lastIndexOf('/') + 1);
