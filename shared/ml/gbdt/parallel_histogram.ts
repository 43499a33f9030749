import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { MloopError } from '../../core/errors';
import { buildHistogram, type HistogramBuilder, type HistogramInputs, type HistogramTask } from './histogram';

/**
 * Histograms split by column across this thread and worker threads: every input buffer lives in a
 * SharedArrayBuffer and each thread fills disjoint columns of the same slot, so nothing is copied. The
 * threads meet on an Int32Array with Atomics (wait/notify) rather than messages, because a leaf's
 * histogram takes well under a millisecond and a message round trip through the event loop would cost
 * as much.
 */

/** Leaves smaller than this are built on this thread alone: waking a worker costs more than it saves. */
export const MIN_PARALLEL_ROWS = 20_000;
/** A worker that has not answered in this long is taken for dead, rather than waiting forever. */
const WORKER_TIMEOUT_MS = 120_000;

// control words, per worker
const SEQ = 0; // bumped by the main thread to hand out a task; -1 tells the worker to exit
const DONE = 1; // set by the worker to the SEQ it finished, or to -SEQ when it failed
const GRAD_OFFSET = 2;
const BEGIN = 3;
const COUNT = 4;
const SLOT = 5;
const FROM = 6;
const TO = 7;
const CONTROL_WORDS = 8;

interface WorkerData {
  input: HistogramInputs;
  control: Int32Array;
  columns: Int32Array;
  /** Where the worker leaves the message of an error, for the main thread to read synchronously. */
  errors: MessagePort;
}

/**
 * The worker's whole program. It runs from this function's source text, and buildHistogram's, so that
 * it needs no file of its own: the same code works bundled by esbuild, under jest's transform and from
 * source. It may therefore use nothing from the module scope — not even an import, which transforms
 * rename — and gets buildHistogram as an argument.
 */
function histogramWorker({ input, control, columns, errors }: WorkerData, build: typeof buildHistogram): void {
  const og = new Float32Array(input.n);
  const oh = new Float32Array(input.n);
  const task = { gradOffset: 0, begin: 0, count: 0, slot: 0 };
  let seen = 0;
  for (;;) {
    Atomics.wait(control, 0, seen);
    const seq = Atomics.load(control, 0);
    if (seq < 0) return;
    seen = seq;
    try {
      task.gradOffset = control[2];
      task.begin = control[3];
      task.count = control[4];
      task.slot = control[5];
      build(input, task, columns, control[6], control[7], og, oh);
      Atomics.store(control, 1, seq);
    } catch (err) {
      errors.postMessage(String((err as Error)?.stack ?? err));
      Atomics.store(control, 1, -seq);
    }
    Atomics.notify(control, 1);
  }
}

// `require` is spelt here, in a string, because bundlers rewrite it inside functions
const WORKER_SOURCE = `(${histogramWorker.toString()})(require('node:worker_threads').workerData, ${buildHistogram.toString()});`;

export function isShared(input: HistogramInputs): boolean {
  return [input.bins, input.g, input.h, input.indices, input.pool].every((a) => a.buffer instanceof SharedArrayBuffer);
}

/** Splits the columns by count so that each thread's share costs about the same (columns go in pairs). */
function shares(count: number, threads: number): Int32Array {
  const bounds = new Int32Array(threads + 1);
  for (let t = 1; t <= threads; t++) bounds[t] = Math.round((t * count) / threads);
  return bounds;
}

export function parallelHistogramBuilder(input: HistogramInputs, threads: number): HistogramBuilder {
  if (!isShared(input)) throw new RangeError('parallel histograms need their inputs in SharedArrayBuffers');
  const helpers = Array.from({ length: threads - 1 }, () => {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    const columns = new Int32Array(new SharedArrayBuffer(input.layout.numBins.length * 4));
    const { port1, port2 } = new MessageChannel();
    const workerData: WorkerData = { input, control, columns, errors: port2 };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2] });
    // a worker blocked in Atomics.wait must not keep the process alive if close() is never reached
    worker.unref();
    return { worker, control, columns, errors: port1, seq: 0 };
  });
  const og = new Float32Array(input.n);
  const oh = new Float32Array(input.n);

  return {
    threads,
    build(task: HistogramTask, columns: Int32Array) {
      if (task.count < MIN_PARALLEL_ROWS || columns.length < threads) {
        buildHistogram(input, task, columns, 0, columns.length, og, oh);
        return;
      }
      const bounds = shares(columns.length, threads);
      helpers.forEach((helper, w) => {
        const { control } = helper;
        helper.columns.set(columns);
        control[GRAD_OFFSET] = task.gradOffset;
        control[BEGIN] = task.begin;
        control[COUNT] = task.count;
        control[SLOT] = task.slot;
        control[FROM] = bounds[w + 1];
        control[TO] = bounds[w + 2];
        Atomics.store(control, SEQ, ++helper.seq);
        Atomics.notify(control, SEQ);
      });
      buildHistogram(input, task, columns, 0, bounds[1], og, oh);
      for (const { control, seq, errors } of helpers) {
        for (;;) {
          const done = Atomics.load(control, DONE);
          if (done === seq) break;
          if (done === -seq) throw new MloopError('internal', `a histogram worker failed: ${receiveMessageOnPort(errors)?.message}`);
          if (Atomics.wait(control, DONE, done, WORKER_TIMEOUT_MS) === 'timed-out') {
            throw new MloopError('internal', `a histogram worker did not answer in ${WORKER_TIMEOUT_MS / 1000} s`);
          }
        }
      }
    },
    async close() {
      await Promise.all(
        helpers.map(({ worker, control, errors }) => {
          // referenced again, or an otherwise idle process could end before the worker has exited
          worker.ref();
          errors.close();
          const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
          Atomics.store(control, SEQ, -1);
          Atomics.notify(control, SEQ);
          return exited;
        }),
      );
    },
  };
}
