import { Worker } from 'node:worker_threads';
import { MloopError, type ErrorCode } from '../core/errors';
import type { FitData, Fitted } from './fit';
import type { SweepOptions, TrialDone } from './sweep';
import type { OnProgress, TrainProgress } from './trained_model';

/**
 * Sweep trials in worker threads, as many at once as there are workers. The data is copied once into
 * shared memory that every worker reads; each worker trains one trial at a time and sends back its
 * ONNX, history and predictions.
 */
export interface WorkerSetup {
  algorithm: string;
  data: FitData;
}

export type WorkerRequest = { trial: number; params: Record<string, unknown> };

export type WorkerReply =
  | { kind: 'progress'; trial: number; progress: TrainProgress }
  | { kind: 'done'; trial: number; fitted: Fitted; seconds: number }
  | { kind: 'failed'; trial: number; code: ErrorCode; message: string };

function shared<T extends Float32Array | Uint8Array>(values: T): T {
  const copy = new (values.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

function sharedData(data: FitData): FitData {
  const split = <S extends { X: Float32Array; y: FitData['train']['y']; n: number }>(s: S) => ({ X: shared(s.X), y: shared(s.y), n: s.n });
  return {
    task: data.task,
    classes: data.classes,
    specs: data.specs,
    train: split(data.train),
    validation: split(data.validation),
    test: { X: shared(data.test.X), n: data.test.n },
  };
}

type PoolOptions = Pick<SweepOptions, 'algorithm' | 'workers' | 'workerScript'> & {
  indices: number[];
  paramsOf: (trial: number) => Record<string, unknown>;
  progress: (trial: number) => OnProgress;
};

export async function fitInWorkers(data: FitData, options: PoolOptions, keep: (done: TrialDone) => void): Promise<void> {
  const setup: WorkerSetup = { algorithm: options.algorithm, data: sharedData(data) };
  const queue = [...options.indices];
  const count = Math.min(options.workers, queue.length);
  const workers: Worker[] = [];
  let failure: Error | null = null;
  try {
    await Promise.all(
      Array.from({ length: count }, (_, w) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(options.workerScript, { workerData: setup });
          workers.push(worker);
          let idle = false;
          const next = () => {
            const trial = failure ? undefined : queue.shift();
            if (trial === undefined) {
              idle = true;
              resolve();
            } else worker.postMessage({ trial, params: options.paramsOf(trial) } satisfies WorkerRequest);
          };
          worker.on('message', (reply: WorkerReply) => {
            if (reply.kind === 'progress') {
              Promise.resolve(options.progress(reply.trial)(reply.progress)).catch((err: Error) => (failure ??= err));
            } else if (reply.kind === 'done') {
              keep({ trial: reply.trial, fitted: reply.fitted, seconds: reply.seconds, worker: w + 1 });
              next();
            } else {
              failure ??= new MloopError(reply.code, `trial ${reply.trial}: ${reply.message}`);
              next();
            }
          });
          worker.once('error', (err) => {
            failure ??= err;
            reject(err);
          });
          worker.once('exit', (code) => {
            if (!idle) reject(failure ?? new Error(`trial worker ${w + 1} stopped (exit code ${code}) before its trials were done`));
          });
          next();
        }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  if (failure) throw failure;
}
