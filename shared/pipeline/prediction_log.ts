import { randomUUID } from 'node:crypto';
import { errorMessage } from '../core/errors';
import type { Context } from './context';

/**
 * What the monitor reads: one NDJSON line per scored instance, written in batches under
 * `predictions/dt=YYYY-MM-DD/model=<model>/` in the artifacts bucket. Scoring only appends to a
 * buffer; writing happens in the background, when the buffer is large, and on shutdown, so the
 * request path never waits for storage.
 */
export interface PredictionRecord {
  request_id: string;
  /** Position of the instance in its request: feedback for request r, instance i names (r, i). */
  index: number;
  model: string;
  model_version: string;
  time: string;
  features: Record<string, unknown>;
  prediction: Record<string, unknown>;
  /** Scored by the challenger on a copy of the request; never returned to the caller. */
  shadow?: true;
}

export interface PredictionLogOptions {
  /** Share of requests logged, 0..1: sampling is per request so a batch stays together. */
  sampleRate: number;
  flushEveryMs: number;
  /** A buffer this large is flushed at once instead of waiting for the timer. */
  maxBuffered: number;
}

export const PREDICTIONS_PREFIX = 'predictions/';

export function predictionObjectPrefix(model: string, day: string): string {
  return `${PREDICTIONS_PREFIX}dt=${day}/model=${model}/`;
}

/** Shadow scores sit beside, not under, the model's own prefix: drift is measured on served traffic only. */
export function shadowObjectPrefix(model: string, day: string): string {
  return `${PREDICTIONS_PREFIX}dt=${day}/model=${model}@shadow/`;
}

export class PredictionLog {
  private buffer: PredictionRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly writer = randomUUID().slice(0, 8);
  private sequence = 0;
  dropped = 0;

  constructor(
    private readonly ctx: Context,
    private readonly options: PredictionLogOptions,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushEveryMs);
    this.timer.unref();
  }

  /** Called after a successful score; cheap and synchronous. */
  record(requestId: string, model: string, version: string, instances: unknown[], predictions: unknown[], shadow = false): void {
    if (this.options.sampleRate <= 0 || (this.options.sampleRate < 1 && this.random() >= this.options.sampleRate)) return;
    const time = this.ctx.platform.clock.now().toISOString();
    for (let i = 0; i < instances.length; i++) {
      this.buffer.push({
        request_id: requestId,
        index: i,
        model,
        model_version: version,
        time,
        features: instances[i] as Record<string, unknown>,
        prediction: predictions[i] as Record<string, unknown>,
        ...(shadow ? { shadow: true as const } : {}),
      });
    }
    if (this.buffer.length >= this.options.maxBuffered) void this.flush();
  }

  /** Writes what is buffered; concurrent calls queue behind each other, so no batch is written twice. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async writeBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const groups = new Map<string, PredictionRecord[]>();
    for (const record of batch) {
      const key = `${record.model}\u0000${record.time.slice(0, 10)}\u0000${record.shadow ? 1 : 0}`;
      const group = groups.get(key);
      if (group) group.push(record);
      else groups.set(key, [record]);
    }
    for (const records of groups.values()) {
      const { model, time, shadow } = records[0];
      const prefix = shadow ? shadowObjectPrefix(model, time.slice(0, 10)) : predictionObjectPrefix(model, time.slice(0, 10));
      const name = `${prefix}${time.replace(/[:.]/g, '')}-${this.writer}-${this.sequence++}.ndjson`;
      const body = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
      try {
        await this.ctx.platform.objects.put(this.ctx.config.artifactsBucket, name, body, { contentType: 'application/x-ndjson' });
      } catch (err) {
        // Losing a monitoring sample must not take scoring down; the count says how much was lost.
        this.dropped += records.length;
        this.ctx.log.warn({ err: errorMessage(err), records: records.length }, 'prediction log batch dropped');
      }
    }
  }
}

/** The logged predictions of `model` between two instants, oldest first. */
export async function readPredictions(ctx: Context, model: string, from: Date, to: Date): Promise<PredictionRecord[]> {
  const records: PredictionRecord[] = [];
  const fromIso = from.toISOString();
  const toIso = to.toISOString();
  for (let day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())); day <= to; day = new Date(day.getTime() + 86_400_000)) {
    const prefix = predictionObjectPrefix(model, day.toISOString().slice(0, 10));
    for (const object of await ctx.platform.objects.list(ctx.config.artifactsBucket, prefix)) {
      const text = (await ctx.platform.objects.get(object.bucket, object.name)).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const record = JSON.parse(line) as PredictionRecord;
        if (record.time >= fromIso && record.time <= toIso) records.push(record);
      }
    }
  }
  return records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
