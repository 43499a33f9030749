import { errorMessage } from '../../core/errors';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { DatasetDoc, RunDoc } from '../store/documents';
import { runPlanOf } from '../store/stored_config';

/**
 * How many Cloud Run tasks a run's execution gets: one per sweep trial of its plan, up to
 * MLOOP_SWEEP_TASKS (1 locally, where worker threads share the trials instead). A run created before
 * plans were stored whose search does not resolve gets one task, whose job then fails the run with the reason.
 */
export async function taskCountFor(ctx: Context, run: RunDoc): Promise<number> {
  if (ctx.config.sweepTasks <= 1) return 1;
  try {
    const trials = run.plan ? run.plan.trials.length : runPlanOf(run, await datasetOf(ctx, run)).trials.length;
    return Math.max(1, Math.min(ctx.config.sweepTasks, trials));
  } catch (err) {
    ctx.log.warn({ run_id: run.id, err: errorMessage(err) }, 'search space unreadable: one task');
    return 1;
  }
}

async function datasetOf(ctx: Context, run: RunDoc): Promise<Pick<DatasetDoc, 'model' | 'version' | 'config' | 'config_version'>> {
  const dataset = await storeOf(ctx).datasets.get(run.model, run.dataset_version);
  return dataset ?? { model: run.model, version: run.dataset_version };
}
