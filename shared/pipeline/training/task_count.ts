import { errorMessage } from '../../core/errors';
import { parseDatasetConfig } from '../dataset_config';
import { expandSearch, parseSearch } from '../../ml/search_space';
import type { Context } from '../context';
import type { RunDoc } from '../store/documents';
import { storeOf } from '../store';

/**
 * How many Cloud Run tasks a run's execution gets: one per sweep trial, up to MLOOP_SWEEP_TASKS (1
 * locally, where worker threads share the trials instead). A search that does not parse gets one task,
 * whose job then fails the run with the reason.
 */
export async function taskCountFor(ctx: Context, run: RunDoc): Promise<number> {
  if (ctx.config.sweepTasks <= 1) return 1;
  try {
    const dataset = await storeOf(ctx).datasets.get(run.model, run.dataset_version);
    const search = run.training?.search ?? parseDatasetConfig(dataset?.config ?? {}).search;
    const trials = expandSearch(search === undefined ? undefined : parseSearch(search)).length;
    return Math.max(1, Math.min(ctx.config.sweepTasks, trials));
  } catch (err) {
    ctx.log.warn({ run_id: run.id, err: errorMessage(err) }, 'search space unreadable: one task');
    return 1;
  }
}
