import { errorMessage, MloopError } from '../core/errors';
import type { Prediction, Scorer } from '../ml/scorer';
import { openScorer } from '../pipeline/artifacts/model_files';
import type { Context } from '../pipeline/context';
import { storeOf } from '../pipeline/store';

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
 */
export class ModelServer {
  private readonly live = new Map<string, Scorer>();
  private readonly shadows = new Map<string, Scorer>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly known = new Set<string>();
  private refreshedAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly ctx: Context) {}

  /**
   * Loads every model whose production version differs from the one being served, and the version
   * its `challenger` alias names, which scores a copy of live traffic in shadow.
   */
  async refresh(): Promise<void> {
    this.refreshedAt = Date.now();
    const models = await storeOf(this.ctx).models.list();
    for (const data of models) this.known.add(data.name);
    await Promise.all(
      models.flatMap((data) => {
        const loads: Array<Promise<void>> = [];
        if (data.production_version && this.live.get(data.name)?.version !== data.production_version) {
          loads.push(this.load(data.name, data.production_version, this.live));
        }
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

  /** Reacts to `model-promoted`; the registry stays the source of truth, so a stale event is harmless. */
  async onPromoted(model: string): Promise<void> {
    const production = await storeOf(this.ctx).models.productionVersion(model);
    if (production && this.live.get(model)?.version !== production) {
      await this.load(model, production, this.live);
    }
  }

  /** Polls the registry too: on Google Cloud a Pub/Sub push reaches one instance, not all of them. */
  startPolling(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.ctx.log.warn({ err: errorMessage(err) }, 'model refresh failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private load(model: string, version: string, slot: Map<string, Scorer>): Promise<void> {
    const key = `${slot === this.live ? 'live' : 'shadow'}:${model}@${version}`;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const task = (async () => {
      const started = Date.now();
      const scorer = await openScorer(this.ctx, model, version);
      await scorer.scoreRecords([warmupRecord(scorer.manifest.features)]);
      const previous = slot.get(model);
      slot.set(model, scorer);
      if (previous) setTimeout(() => void previous.release(), RETIRE_AFTER_MS).unref();
      this.ctx.log.info({ model, version, previous: previous?.version ?? null, shadow: slot === this.shadows, ms: Date.now() - started }, 'model loaded');
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

  /** The scorer for `model`, or the only one when no name is given. */
  resolve(model?: string): { name: string; scorer: Scorer } {
    if (model) {
      const scorer = this.live.get(model);
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

  async score(model: string | undefined, instances: unknown): Promise<ScoreResponse> {
    const { name, scorer } = await this.scorerFor(model);
    const result = await scorer.predict(instances);
    if (!result.ok) {
      throw new MloopError('invalid_argument', `invalid instances: ${result.errors.slice(0, 5).map((e) => e.message).join('; ')}`, {
        errors: result.errors,
      });
    }
    return { model: name, model_version: scorer.version, predictions: result.predictions };
  }

  /** A miss may only mean the registry moved since the last poll: look again, at most once a second. */
  async scorerFor(model?: string): Promise<{ name: string; scorer: Scorer }> {
    try {
      return this.resolve(model);
    } catch (err) {
      const stale = Date.now() - this.refreshedAt > MISS_REFRESH_MS;
      if (!stale || !(err instanceof MloopError) || (err.code !== 'unavailable' && err.code !== 'not_found')) throw err;
      await this.refresh();
      return this.resolve(model);
    }
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all([...this.live.values(), ...this.shadows.values()].map((scorer) => scorer.release()));
    this.live.clear();
    this.shadows.clear();
  }
}

function warmupRecord(features: Array<{ name: string; kind: string }>): Record<string, unknown> {
  return Object.fromEntries(features.map((f) => [f.name, null]));
}
