import { MloopError } from '../shared/core/errors';
import { runIdFor } from '../shared/core/ids';
import type { Context } from '../shared/pipeline/context';
import type { RunDoc } from '../shared/pipeline/store/documents';
import { storeOf } from '../shared/pipeline/store';
import { uploadRequestId } from '../shared/pipeline/usecases/on_data_uploaded';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TimeoutError extends Error {}

/** Polls until `probe` returns something, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new TimeoutError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Follows the run of an uploaded dataset to its end, reporting progress on the way; a rejected dataset has no run to wait for. */
export async function waitForUploadRun(
  ctx: Context,
  model: string,
  version: string,
  timeoutMs: number,
  onProgress?: (run: RunDoc) => void,
): Promise<RunDoc> {
  const runId = runIdFor(uploadRequestId(model, version));
  const { runs, datasets } = storeOf(ctx);
  return waitFor(`run ${runId} to finish`, async () => {
    const run = await runs.get(runId);
    if (!run) {
      const dataset = await datasets.get(model, version);
      if (dataset?.status === 'rejected') {
        throw new MloopError('failed_precondition', `the dataset was rejected: ${dataset.reason?.replace(/\.$/, '')}; mloop datasets --json shows its validation report`, { reason: dataset.reason });
      }
    }
    if (run) onProgress?.(run);
    return run && (run.status === 'succeeded' || run.status === 'failed') ? run : null;
  }, timeoutMs, 500);
}
