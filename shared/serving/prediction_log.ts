import { randomUUID } from 'node:crypto';
import { errorMessage } from '../core/errors';
import type { Context } from '../pipeline/context';
import { predictionObjectPrefix, shadowObjectPrefix, type PredictionRecord } from '../pipeline/store/prediction_records';

export interface PredictionLogOptions {
  /** Share of requests logged, 0..1: sampling is per request so a batch stays together. */
  sampleRate: number;
  flushEveryMs: number;
  /** A buffer this large is flushed at once instead of waiting for the timer. */
  maxBuffered: number;
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

