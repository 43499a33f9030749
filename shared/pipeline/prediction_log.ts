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

/** The lines of one object to be: one model, one day, served or shadow. */
interface Batch {
  model: string;
  time: string;
  shadow: boolean;
  /**
   * The NDJSON bytes so far, off the JavaScript heap: at tens of thousands of rows a second, lines kept as
   * strings until the flush cost more garbage collection than the scoring itself.
   */
  bytes: Buffer;
  length: number;
  lines: number;
}

const FIRST_BATCH_BYTES = 1024 * 1024;

export class PredictionLog {
  private batches = new Map<string, Batch>();
  private buffered = 0;
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

  /** Called after a successful score; synchronous, and serialises the request's lines at once. */
  record(requestId: string, model: string, version: string, instances: unknown[], predictions: unknown[], shadow = false): void {
    if (this.options.sampleRate <= 0 || (this.options.sampleRate < 1 && this.random() >= this.options.sampleRate)) return;
    const time = this.ctx.platform.clock.now().toISOString();
    const key = `${model}\u0000${time.slice(0, 10)}\u0000${shadow ? 1 : 0}`;
    let batch = this.batches.get(key);
    if (!batch) this.batches.set(key, (batch = { model, time, shadow, bytes: Buffer.allocUnsafe(FIRST_BATCH_BYTES), length: 0, lines: 0 }));
    // Field by field in PredictionRecord's order, without building a record object per instance.
    const head = `{"request_id":${JSON.stringify(requestId)},"index":`;
    const middle = `,"model":${JSON.stringify(model)},"model_version":${JSON.stringify(version)},"time":"${time}","features":`;
    const tail = shadow ? ',"shadow":true}\n' : '}\n';
    for (let i = 0; i < instances.length; i++) {
      append(batch, `${head}${i}${middle}${JSON.stringify(instances[i])},"prediction":${JSON.stringify(predictions[i])}${tail}`);
    }
    batch.lines += instances.length;
    this.buffered += instances.length;
    if (this.buffered >= this.options.maxBuffered) void this.flush();
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
    if (this.buffered === 0) return;
    const batches = this.batches;
    this.batches = new Map();
    this.buffered = 0;
    for (const { model, time, shadow, bytes, length, lines } of batches.values()) {
      const prefix = shadow ? shadowObjectPrefix(model, time.slice(0, 10)) : predictionObjectPrefix(model, time.slice(0, 10));
      const name = `${prefix}${time.replace(/[:.]/g, '')}-${this.writer}-${this.sequence++}.ndjson`;
      try {
        await this.ctx.platform.objects.put(this.ctx.config.artifactsBucket, name, bytes.subarray(0, length), { contentType: 'application/x-ndjson' });
      } catch (err) {
        // Losing a monitoring sample must not take scoring down; the count says how much was lost.
        this.dropped += lines;
        this.ctx.log.warn({ err: errorMessage(err), records: lines }, 'prediction log batch dropped');
      }
    }
  }
}

function append(batch: Batch, line: string): void {
  const worst = line.length * 3;
  if (batch.length + worst > batch.bytes.length) {
    const grown = Buffer.allocUnsafe(Math.max(batch.bytes.length * 2, batch.length + worst));
    batch.bytes.copy(grown, 0, 0, batch.length);
    batch.bytes = grown;
  }
  batch.length += batch.bytes.write(line, batch.length);
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
