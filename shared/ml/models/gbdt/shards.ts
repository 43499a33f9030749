import { availableParallelism, loadavg } from 'node:os';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { MloopError } from '../../../core/errors';
import {
  CONTROL,
  rowLoss,
  SHARD_OPS,
  shardAddTree,
  shardEndRound,
  shardGradients,
  shardHistogram,
  shardKernel,
  shardRoot,
  shardSplit,
  shardValidationLoss,
  shardWorker,
  type ShardView,
  type ShardWorkerData,
  WORKER_FUNCTIONS,
} from './shard_ops';

/**
 * Runs the shard operations on every shard at once: shard 0 on this thread, the others on worker
 * threads. Everything they share lives in SharedArrayBuffers, so nothing is copied; the threads meet on
 * an Int32Array with Atomics (wait/notify) rather than messages, because a task often takes well under
 * a millisecond and a message round trip through the event loop would cost as much.
 *
 * Workers run from the source text of shard_ops.ts' functions, so that they need no file of their own:
 * the same code works bundled by esbuild, under jest's transform and from source.
 */

/**
 * gbdt's threads: one per this many training rows, up to one per core. Threads meet at every split
 * (about 30 times a tree), so a thread the OS deschedules stalls the others, and small shards make the
 * meetings dear for what each does between them. Since the WebAssembly kernel and the one meeting per
 * round end, two threads train 70 000 rows about 30 % faster than one when a core is free; while other
 * work keeps both cores busy they took up to 2.5 times as long (README, Training, has the numbers). So
 * below MIN_ROWS_FOR_THREADS more threads are used only while the 1-minute load average is below the
 * number of cores (some core is free, on average); above, two threads were no slower on a busy machine.
 */
export const MIN_ROWS_PER_THREAD = 30_000;

/** The forests' rule, measured before the kernel: one thread below this many training rows. */
const MIN_ROWS_FOR_THREADS = 500_000;

/**
 * Threads for n training rows: as asked, or one per core for data large enough (with
 * `minRowsPerThread`: that many rows a thread, and below MIN_ROWS_FOR_THREADS only on an idle machine).
 */
export function threadsFor(requested: number, n: number, minRowsPerThread?: number, load = loadavg()[0]): number {
  if (requested > 0) return requested;
  // inside a worker thread this is a sweep's trial, whose sibling trials already use the other cores
  if (!isMainThread) return 1;
  const cores = availableParallelism();
  if (minRowsPerThread === undefined || (n < MIN_ROWS_FOR_THREADS && load >= cores)) return n >= MIN_ROWS_FOR_THREADS ? cores : 1;
  return Math.max(1, Math.min(cores, Math.floor(n / minRowsPerThread)));
}

/** Rows dealt to one shard at a time. */
const BLOCK = 4096;
/** A worker that has not answered in this long is taken for dead, rather than waited for forever. */
const WORKER_TIMEOUT_MS = 120_000;

// `require` is spelt in the string: bundlers rewrite it inside functions
const WORKER_SOURCE = WORKER_FUNCTIONS.map(String)
  .concat(`${shardWorker.name}(require('node:worker_threads').workerData);`)
  .join('\n');

/** What the shards share: allocated by the trainer, in SharedArrayBuffers when there is more than one. */
export type SharedArrays = Omit<
  ShardView,
  'shard' | 'shards' | 'block' | 'start' | 'leafBegin' | 'leafCount' | 'hist' | 'sums' | 'og' | 'oh' | 'scratch' | 'kernel' | 'partition' | 'binaryGradients' | 'kernelAt' | 'wHist' | 'wCnt' | 'wCols'
>;

/** The most training rows one of `shards` shards holds. */
export function maxShardRows(n: number, shards: number): number {
  return Math.min(n, Math.ceil(Math.ceil(n / BLOCK) / shards) * BLOCK);
}

function rowsOf(n: number, shard: number, shards: number): number {
  let rows = 0;
  for (let b = shard; b * BLOCK < n; b += shards) rows += Math.min(n, (b + 1) * BLOCK) - b * BLOCK;
  return rows;
}

interface Helper {
  worker: Worker;
  control: Int32Array;
  errors: MessagePort;
  seq: number;
}

export class Shards {
  readonly views: ShardView[];
  private readonly helpers: Helper[];

  /** `buffer` allocates the memory shards share: a SharedArrayBuffer when there are several. */
  constructor(shared: SharedArrays, threads: number, numLeaves: number, buffer: (bytes: number) => ArrayBufferLike) {
    let start = 0;
    const kernel = shared.memory !== null && shared.kernelModule !== null;
    this.views = Array.from({ length: threads }, (_, shard) => {
      const rows = rowsOf(shared.n, shard, threads);
      const view: ShardView = {
        ...shared,
        shard,
        shards: threads,
        block: BLOCK,
        start,
        leafBegin: new Int32Array(numLeaves),
        leafCount: new Int32Array(numLeaves),
        hist: new Float64Array(buffer(shared.totalBins * 3 * 8)),
        sums: new Float64Array(buffer(8 * 8)),
        // the main thread's own; workers allocate theirs (the kernel reads gradients in place)
        og: new Float32Array(shard === 0 && !kernel ? rows : 0),
        oh: new Float32Array(shard === 0 && !kernel ? rows : 0),
        scratch: new Uint32Array(shard === 0 && !kernel ? rows : 0),
        // set in the thread that runs the shard: a function cannot be sent to a worker
        kernel: null,
        partition: null,
        binaryGradients: null,
        kernelAt: 0,
        wHist: new Float64Array(0),
        wCnt: new Int32Array(0),
        wCols: new Int32Array(0),
      };
      start += rows;
      return view;
    });
    shardKernel(this.views[0]);
    this.helpers = this.views.slice(1).map((view) => {
      const control = new Int32Array(buffer(CONTROL.words * 4));
      const { port1, port2 } = new MessageChannel();
      const workerData: ShardWorkerData = { view, rows: rowsOf(shared.n, view.shard, threads), control, ops: SHARD_OPS, layout: CONTROL, errors: port2 };
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2] });
      // a worker blocked in Atomics.wait must not keep the process alive if close() is never reached
      worker.unref();
      return { worker, control, errors: port1, seq: 0 };
    });
  }

  get threads(): number {
    return this.views.length;
  }

  gradients(): void {
    this.run(SHARD_OPS.gradients, [], shardGradients);
  }

  root(gradOffset: number, bagging: boolean, usableCount: number): void {
    this.run(SHARD_OPS.root, [gradOffset, bagging ? 1 : 0, usableCount], (v) => shardRoot(v, gradOffset, bagging ? 1 : 0, usableCount));
  }

  /** `build`: 0 no histogram, 1 the left child's (`leaf`), 2 the right child's (`newLeaf`). */
  split(leaf: number, newLeaf: number, column: number, build: 0 | 1 | 2, gradOffset: number, usableCount: number): void {
    this.run(SHARD_OPS.split, [leaf, newLeaf, column, build, gradOffset, usableCount], (v) =>
      shardSplit(v, leaf, newLeaf, column, build, gradOffset, usableCount),
    );
  }

  /** After the tree in the shared tree arrays is grown: adds it to the training and validation scores. */
  addTree(scoreOffset: number, valOffset: number, numLeaves: number, numNodes: number): void {
    this.run(SHARD_OPS.addTree, [scoreOffset, valOffset, numLeaves, numNodes], (v) => shardAddTree(v, scoreOffset, valOffset, numLeaves, numNodes));
  }

  /** Mean loss of the validation scores. */
  validationLoss(): number {
    this.run(SHARD_OPS.validationLoss, [], shardValidationLoss);
    let sum = 0;
    for (const { sums } of this.views) sum += sums[3];
    return sum / this.views[0].valN;
  }

  /**
   * Ends a boosting round: the mean validation loss, the mean training loss over `lossRows` rows spread
   * evenly, and (`gradients`) the next round's gradients.
   */
  endRound(gradients: boolean, lossRows: number): { loss: number; valLoss: number } {
    const flag = gradients ? 1 : 0;
    this.run(SHARD_OPS.endRound, [flag, lossRows], (v) => shardEndRound(v, flag, lossRows));
    let loss = 0;
    let valLoss = 0;
    for (const { sums } of this.views) {
      valLoss += sums[3];
      loss += sums[4];
    }
    return { loss: loss / Math.min(lossRows, this.views[0].n), valLoss: valLoss / this.views[0].valN };
  }

  /** out[from..to) := the sum of every shard's histogram there. */
  sumHistograms(out: Float64Array, outStart: number, from: number, to: number): void {
    const first = this.views[0].hist;
    for (let t = from; t < to; t++) out[outStart + t] = first[t];
    for (let s = 1; s < this.views.length; s++) {
      const hist = this.views[s].hist;
      for (let t = from; t < to; t++) out[outStart + t] += hist[t];
    }
  }

  /** Sums of g, h and rows over the current tree's root, all shards together. */
  rootTotals(): { G: number; H: number; count: number } {
    let G = 0;
    let H = 0;
    let count = 0;
    for (const { sums } of this.views) {
      G += sums[0];
      H += sums[1];
      count += sums[2];
    }
    return { G, H, count };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.helpers.map(({ worker, control, errors }) => {
        // referenced again, or an otherwise idle process could end before the worker has exited
        worker.ref();
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        Atomics.store(control, CONTROL.seq, -1);
        Atomics.notify(control, CONTROL.seq);
        errors.close();
        return exited;
      }),
    );
  }

  private run(op: number, args: number[], inline: (view: ShardView) => void): void {
    for (const helper of this.helpers) {
      const { control } = helper;
      control[CONTROL.op] = op;
      control.set(args, CONTROL.args);
      Atomics.store(control, CONTROL.seq, ++helper.seq);
      Atomics.notify(control, CONTROL.seq);
    }
    inline(this.views[0]);
    for (const { control, seq, errors } of this.helpers) {
      for (let k = 0; k < CONTROL.spin && Atomics.load(control, CONTROL.done) !== seq; k++);
      for (;;) {
        const done = Atomics.load(control, CONTROL.done);
        if (done === seq) break;
        if (done === -seq) throw new MloopError('internal', `a gbdt worker thread failed: ${receiveMessageOnPort(errors)?.message}`);
        if (Atomics.wait(control, CONTROL.done, done, WORKER_TIMEOUT_MS) === 'timed-out') {
          throw new MloopError('internal', `a gbdt worker thread did not answer in ${WORKER_TIMEOUT_MS / 1000} s`);
        }
      }
    }
  }
}
