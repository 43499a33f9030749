import { errorMessage, MloopError } from '../core/errors';
import type { Prediction, Scorer } from '../ml/scorer';
import { openScorer } from '../pipeline/artifacts/model_files';
import type { Context } from '../pipeline/context';
import { storeOf } from '../pipeline/store';
import { canaryOf } from '../pipeline/promotion/serving_rollout';
import type { ModelDoc } from '../pipeline/store/documents';
import { inCanary } from './canary_split';

/** How long a replaced model stays alive so that requests already inside it can finish. */
const RETIRE_AFTER_MS = 30_000;
const MISS_REFRESH_MS = 1_000;

export interface ScoreResponse {
  model: string;
  model_version: string;
  predictions: Prediction[];
}

/**
 * Holds the production model of every model name and swaps in a newly promoted one without a restart:
 * the new session is loaded and warmed first, then replaces the old one in a single assignment, and the
 * old one is released only after requests that started on it have had time to finish.
 *
 * Two ways to know what to serve. A Cloud Run scoring revision is given its versions in its environment
 * (`config.servedModels`): it loads exactly those at start, is ready once all are warm, and never looks
 * at the registry (a promotion is a new revision; Cloud Run splits a canary). Everywhere else it follows
 * the registry (on `model-promoted`, polls, a miss), and splits a model's canary itself: a request whose
 * id hashes below the canary's share gets the new version, the others the previous one.
 */
export class ModelServer {
  private readonly live = new Map<string, Scorer>();
  /** A model in its canary: the previous version, answering the requests outside the canary's share. */
  private readonly stable = new Map<string, { scorer: Scorer; percent: number }>();
  private readonly shadows = new Map<string, Scorer>();
  private readonly loading = new Map<string, Promise<Scorer>>();
  private readonly known = new Set<string>();
  private refreshedAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly ctx: Context) {}

  /** Fixed by the revision's environment, or undefined when following the registry. */
  private get pinned() {
    return this.ctx.config.servedModels;
  }

  /**
   * Loads every model whose production version differs from the one being served, and the version
   * its `challenger` alias names, which scores a copy of live traffic in shadow.
   */
  async refresh(): Promise<void> {
    this.refreshedAt = Date.now();
    if (this.pinned) return this.loadPinned(this.pinned.models, this.pinned.shadows);
    const models = await storeOf(this.ctx).models.list();
    for (const data of models) this.known.add(data.name);
    await Promise.all(
      models.flatMap((data) => {
        const loads: Array<Promise<unknown>> = [];
        if (data.production_version && this.live.get(data.name)?.version !== data.production_version) {
          loads.push(this.load(data.name, data.production_version, this.live));
        }
        loads.push(this.followCanary(data));
        const challenger = data.aliases?.challenger;
        if (challenger && challenger !== data.production_version) {
          if (this.shadows.get(data.name)?.version !== challenger) loads.push(this.load(data.name, challenger, this.shadows));
        } else {
          this.retire(data.name, this.shadows);
        }
        return loads;
      }),
    );
  }

  /** The versions a revision was deployed with; loaded once, never replaced. */
  private async loadPinned(models: Record<string, string>, shadows: Record<string, string>): Promise<void> {
    for (const name of Object.keys(models)) this.known.add(name);
    await Promise.all([
      ...Object.entries(models).filter(([name]) => !this.live.has(name)).map(([name, version]) => this.load(name, version, this.live)),
      ...Object.entries(shadows).filter(([name]) => !this.shadows.has(name)).map(([name, version]) => this.load(name, version, this.shadows)),
    ]);
  }

  /** While the model is in its canary, its previous version stays loaded for the other requests. */
  private async followCanary(doc: ModelDoc): Promise<void> {
    const canary = canaryOf(doc);
    const current = this.stable.get(doc.name);
    if (!canary) {
      if (current) {
        this.stable.delete(doc.name);
        setTimeout(() => void current.scorer.release(), RETIRE_AFTER_MS).unref();
      }
      return;
    }
    if (current?.scorer.version === canary.previous_version) {
      current.percent = canary.percent;
      return;
    }
    const scorer = await this.open(doc.name, canary.previous_version);
    this.stable.set(doc.name, { scorer, percent: canary.percent });
    if (current) setTimeout(() => void current.scorer.release(), RETIRE_AFTER_MS).unref();
  }

  /** True once every version this server must serve is loaded and warm (a revision's startup probe). */
  ready(): boolean {
    if (this.pinned) return Object.entries(this.pinned.models).every(([name, version]) => this.live.get(name)?.version === version);
    return this.live.size > 0;
  }

  /** Reacts to `model-promoted`; the registry stays the source of truth, so a stale event is harmless. */
  async onPromoted(model: string): Promise<void> {
    if (this.pinned) return;
    const doc = await storeOf(this.ctx).models.get(model);
    if (!doc) return;
    await this.followCanary(doc);
    if (doc.production_version && this.live.get(model)?.version !== doc.production_version) {
      await this.load(model, doc.production_version, this.live);
    }
  }

  /** Polls the registry too, where several processes serve (`mloop serve`'s workers). Never on a pinned revision. */
  startPolling(intervalMs: number): void {
    if (this.pinned) return;
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.ctx.log.warn({ err: errorMessage(err) }, 'model refresh failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async load(model: string, version: string, slot: Map<string, Scorer>): Promise<void> {
    const scorer = await this.open(model, version, slot === this.shadows ? 'shadow' : 'live');
    const previous = slot.get(model);
    if (previous === scorer) return;
    slot.set(model, scorer);
    if (previous) setTimeout(() => void previous.release(), RETIRE_AFTER_MS).unref();
    this.ctx.log.info({ model, version, previous: previous?.version ?? null, shadow: slot === this.shadows }, 'model swapped in');
  }

  /** A loaded and warmed scorer; concurrent asks for the same version share one load. */
  private open(model: string, version: string, role = 'stable'): Promise<Scorer> {
    const key = `${role}:${model}@${version}`;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const task = (async () => {
      const started = Date.now();
      const scorer = await openScorer(this.ctx, model, version);
      await (scorer.warm ? scorer.warm() : scorer.scoreRecords([warmupRecord(scorer.manifest.features)]));
      this.ctx.log.info({ model, version, role, engine: scorer.engine, ms: Date.now() - started }, 'model loaded');
      return scorer;
    })().finally(() => this.loading.delete(key));
    this.loading.set(key, task);
    return task;
  }

  private retire(model: string, slot: Map<string, Scorer>): void {
    const scorer = slot.get(model);
    if (!scorer) return;
    slot.delete(model);
    setTimeout(() => void scorer.release(), RETIRE_AFTER_MS).unref();
  }

  /** The version scoring a copy of `model`'s traffic in shadow, if any. */
  shadowFor(model: string): Scorer | undefined {
    return this.shadows.get(model);
  }

  versions(): Record<string, string> {
    return Object.fromEntries([...this.live].map(([name, scorer]) => [name, scorer.version]));
  }

  /**
   * The scorer for `model`, or the only one when no name is given. `requestId` places the request on
   * either side of a canary in progress: the same id always lands on the same side.
   */
  resolve(model?: string, requestId?: string): { name: string; scorer: Scorer } {
    const found = this.resolveLive(model);
    const stable = this.stable.get(found.name);
    if (stable && !inCanary(requestId ?? '', stable.percent)) return { name: found.name, scorer: stable.scorer };
    return found;
  }

  private resolveLive(model?: string): { name: string; scorer: Scorer } {
    if (model) {
      const scorer = this.live.get(model);
      if (!scorer && this.pinned && !(model in this.pinned.models)) throw new MloopError('not_found', `model "${model}" is not served by this revision`, { models: this.versions() });
      if (!scorer && !this.known.has(model)) throw new MloopError('not_found', `there is no model "${model}"`, { models: this.versions() });
      if (!scorer) throw new MloopError('unavailable', `model "${model}" has no production version yet`, { models: this.versions() });
      return { name: model, scorer };
    }
    if (this.live.size === 0) throw new MloopError('unavailable', 'no model is in production yet: push a dataset and wait for the first promotion');
    if (this.live.size > 1) {
      throw new MloopError('invalid_argument', `several models are served (${[...this.live.keys()].join(', ')}): use POST /score/<model>`);
    }
    const [[name, scorer]] = [...this.live];
    return { name, scorer };
  }

  async score(model: string | undefined, instances: unknown, requestId?: string): Promise<ScoreResponse> {
    const { name, scorer } = await this.scorerFor(model, requestId);
    const result = await scorer.predict(instances);
    if (!result.ok) {
      throw new MloopError('invalid_argument', `invalid instances: ${result.errors.slice(0, 5).map((e) => e.message).join('; ')}`, {
        errors: result.errors,
      });
    }
    return { model: name, model_version: scorer.version, predictions: result.predictions };
  }

  /** A miss may only mean the registry moved since the last poll: look again, at most once a second. */
  async scorerFor(model?: string, requestId?: string): Promise<{ name: string; scorer: Scorer }> {
    try {
      return this.resolve(model, requestId);
    } catch (err) {
      const stale = Date.now() - this.refreshedAt > MISS_REFRESH_MS;
      if (this.pinned || !stale || !(err instanceof MloopError) || (err.code !== 'unavailable' && err.code !== 'not_found')) throw err;
      await this.refresh();
      return this.resolve(model, requestId);
    }
  }

  /**
   * The scorer of `version` of `model` when it is served: the production one or, during a canary, the
   * previous one (a caller naming a version is answered by it, never by the split).
   */
  async scorerAt(model: string, version: string): Promise<{ name: string; scorer: Scorer }> {
    const found = await this.scorerFor(model);
    const served = [this.live.get(found.name), this.stable.get(found.name)?.scorer].filter((x): x is Scorer => x !== undefined);
    // a version imported with a label answers to it too (`/v2/models/fraud/versions/1.0.0/infer`)
    const scorer = served.find((x) => x.version === version || x.manifest.label === version);
    if (!scorer) throw new MloopError('not_found', `${model} is served at version ${served.map((x) => x.version).join(' and ')}, not ${version}`);
    return { name: found.name, scorer };
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all([...this.live.values(), ...this.shadows.values(), ...[...this.stable.values()].map((s) => s.scorer)].map((scorer) => scorer.release()));
    this.live.clear();
    this.shadows.clear();
    this.stable.clear();
  }
}

function warmupRecord(features: Array<{ name: string; kind: string }>): Record<string, unknown> {
  return Object.fromEntries(features.map((f) => [f.name, null]));
}
