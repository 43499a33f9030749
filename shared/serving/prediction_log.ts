import { randomUUID } from 'node:crypto';
import { errorMessage } from '../core/errors';
import type { Context } from '../pipeline/context';
import { PARQUET_EXTENSION, PredictionColumns } from '../pipeline/store/prediction_parquet';
import { predictionObjectPrefix, shadowObjectPrefix } from '../pipeline/store/prediction_records';

export interface PredictionLogOptions {
  /** Share of requests logged, 0..1: sampling is per request so a batch stays together. */
  sampleRate: number;
  flushEveryMs: number;
  /** A buffer this large is flushed at once instead of waiting for the timer. */
  maxBuffered: number;
}

interface Batch {
  columns: PredictionColumns;
  time: string;
}

export class PredictionLog {
  /** One batch per model, day and served/shadow: the objects to be, each one Parquet file. */
  private batches = new Map<string, Batch>();
  /** the batch the last request went to, and what picked it */
  private last?: { model: string; shadow: boolean; day: string; batch: Batch };
  private buffered = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly writer = randomUUID().slice(0, 8);
  private sequence = 0;
  private flushSoon?: NodeJS.Immediate;
  /** batches already encoded, whose arrays the next batches reuse */
  private readonly spare: PredictionColumns[] = [];
  /** the last file written, whose memory the next one reuses */
  private written?: Buffer;
  dropped = 0;
  private lastMs = NaN;
  private lastTime = '';
  private lastDay = '';

  constructor(
    private readonly ctx: Context,
    private readonly options: PredictionLogOptions,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushEveryMs);
    this.timer.unref();
  }

  /**
   * Called after a successful score; synchronous, and serialises nothing: the values go into the batch's
   * columns by reference, and the Parquet encoding happens at the flush, after the reply.
   */
  record(requestId: string, model: string, version: string, instances: unknown[], predictions: unknown[], shadow = false): void {
    if (this.options.sampleRate <= 0 || (this.options.sampleRate < 1 && this.random() >= this.options.sampleRate)) return;
    const time = this.timeNow();
    const last = this.last;
    let batch: Batch | undefined;
    // a server's requests mostly go to one model on one day: the last batch, without building its key
    if (last && last.model === model && last.shadow === shadow && last.day === this.lastDay) batch = last.batch;
    else {
      const key = `${model}\u0000${this.lastDay}\u0000${shadow ? 1 : 0}`;
      batch = this.batches.get(key);
      // sized for a full buffer and the requests that arrive before its flush's turn: most batches fill up
      // before the timer writes them, and arrays grown by copying cost more than they save in memory
      if (!batch) {
        const columns = this.spare.pop()?.reuse(model, shadow) ?? new PredictionColumns(model, shadow, Math.min(this.options.maxBuffered, 50_000) * 2);
        this.batches.set(key, (batch = { columns, time }));
      }
      this.last = { model, shadow, day: this.lastDay, batch };
    }
    batch.columns.add(requestId, version, time, instances, predictions);
    this.buffered += instances.length;
    // On the next turn, not in this one: the request that filled the buffer should not wait for its encoding.
    if (this.buffered >= this.options.maxBuffered && !this.flushSoon) this.flushSoon = setImmediate(() => void this.flush());
  }

  /** The clock's time as ISO text, formatted once per millisecond however many requests share it. */
  private timeNow(): string {
    const clock = this.ctx.platform.clock;
    const ms = clock.nowMs ? clock.nowMs() : clock.now().getTime();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTime = new Date(ms).toISOString();
      this.lastDay = this.lastTime.slice(0, 10);
    }
    return this.lastTime;
  }

  /** Writes what is buffered; concurrent calls queue behind each other, so no batch is written twice. */
  flush(): Promise<void> {
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushSoon = undefined;
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
    this.last = undefined;
    this.buffered = 0;
    for (const { columns, time } of batches.values()) {
      const { model, shadow, rows } = columns;
      const prefix = shadow ? shadowObjectPrefix(model, time.slice(0, 10)) : predictionObjectPrefix(model, time.slice(0, 10));
      const name = `${prefix}${time.replace(/[:.]/g, '')}-${this.writer}-${this.sequence++}${PARQUET_EXTENSION}`;
      try {
        // a column per turn: the requests arriving meanwhile are answered between columns
        const bytes = await columns.encodeYielding(this.written);
        this.written = undefined;
        // encoded, its arrays are free for the batches to come (the file is a copy)
        if (this.spare.length < 4) this.spare.push(columns);
        await this.ctx.platform.objects.put(this.ctx.config.artifactsBucket, name, bytes, {
          contentType: 'application/vnd.apache.parquet',
          // a sample: the rows still buffered are lost on a crash anyway; on a disk, waiting for it cost a server ~3 % of its throughput
          durable: false,
          // nor for its checksums: an MD5 of every file cost a 100-row request about 12 µs of its ~460
          checksum: false,
        });
        // written, its memory is the next file's (only one flush runs at a time)
        this.written = bytes;
      } catch (err) {
        // Losing a monitoring sample must not take scoring down; the count says how much was lost.
        this.dropped += rows;
        this.ctx.log.warn({ err: errorMessage(err), records: rows }, 'prediction log batch dropped');
      }
    }
  }
}
