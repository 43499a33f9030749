import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, MloopError } from '../../shared/core/errors';
import { fit } from '../../shared/ml/fit';
import type { WorkerReply, WorkerRequest, WorkerSetup } from '../../shared/ml/trial_pool';

/**
 * A sweep's worker thread: trains the trials it is sent, one at a time, on the shared data it was
 * started with. The pool terminates it when no trial is left.
 */
const port = parentPort!;
const setup = workerData as WorkerSetup;
const reply = (message: WorkerReply) => port.postMessage(message);

port.on('message', async (request: WorkerRequest) => {
  const { trial, params } = request;
  const started = performance.now();
  try {
    const fitted = await fit(setup.algorithm, setup.data, params, (progress) => reply({ kind: 'progress', trial, progress }));
    reply({ kind: 'done', trial, fitted, seconds: (performance.now() - started) / 1000 });
  } catch (err) {
    reply({ kind: 'failed', trial, code: err instanceof MloopError ? err.code : 'internal', message: errorMessage(err) });
  }
});
