import { MloopError } from '../../core/errors';
import type { TrainingRequested } from '../../core/events';
import { runIdFor } from '../../core/ids';
import type { Context } from '../context';
import { storeOf } from '../store';
import type { DatasetDoc, RunDoc } from '../store/documents';
import { datasetConfigOf } from '../store/stored_config';
import { resolveRunPlan } from '../training/training_plan';
import { launchQueuedRuns } from './launch_queued_runs';

export type RequestResult = { outcome: 'created' | 'exists'; runId: string; modelVersion: string };

/**
 * onTrainingRequested: create the run once (its id derives from the request id, so a redelivered
 * request finds it), give it the model's next version, then start what the parallel limit allows.
 */
export async function requestTraining(ctx: Context, request: TrainingRequested): Promise<RequestResult> {
  const { clock } = ctx.platform;
  const runId = runIdFor(request.request_id);
  const result = await storeOf(ctx).inTransaction(async (tx) => {
    const existing = await tx.runs.get(runId);
    if (existing) return { outcome: 'exists' as const, runId, modelVersion: existing.model_version };
    const dataset = await tx.datasets.get(request.model, request.dataset_version);
    if (!dataset) {
      throw new MloopError('not_found', `dataset ${request.model}:${request.dataset_version} does not exist`);
    }
    // a BigQuery snapshot that failed fails its run, with BigQuery's message: it is the run that was asked for
    if (dataset.status !== 'accepted' && !dataset.bigquery) {
      throw new MloopError('failed_precondition', `dataset ${request.model}:${request.dataset_version} was rejected: ${dataset.reason}`);
    }
    const model = await tx.models.get(request.model);
    const number = model?.next_version ?? 1;
    const now = clock.now().toISOString();
    const modelVersion = `v${number}`;
    tx.models.put({
      name: request.model,
      production_version: model?.production_version ?? null,
      previous_version: model?.previous_version ?? null,
      next_version: number + 1,
      aliases: model?.aliases ?? {},
      updated_at: now,
    });
    const settled = dataset.status === 'accepted' ? settle(dataset, request) : { error: `the BigQuery snapshot failed: ${dataset.reason}` };
    const run: RunDoc = {
      id: runId,
      model: request.model,
      model_version: modelVersion,
      dataset_version: request.dataset_version,
      request_id: request.request_id,
      reason: request.reason,
      requested_by: request.requested_by ?? null,
      note: request.note ?? null,
      status: 'queued',
      attempt: 0,
      max_attempts: ctx.config.runMaxAttempts,
      execution_id: null,
      executions: [],
      progress: null,
      metrics: null,
      error: null,
      created_at: now,
      training: request.training ?? null,
      ...(request.tags && { tags: request.tags }),
      ...('error' in settled ? { status: 'failed', error: settled.error, finished_at: now } : settled),
    };
    tx.runs.create(run);
    return { outcome: 'created' as const, runId, modelVersion, error: 'error' in settled ? settled.error : null };
  });
  if (result.outcome === 'created' && result.error) {
    ctx.log.error({ run_id: runId, model: request.model, model_version: result.modelVersion, error: result.error }, 'run failed before it started');
  } else if (result.outcome === 'created') {
    ctx.log.info({ run_id: runId, model: request.model, model_version: result.modelVersion }, 'run queued');
  }
  await launchQueuedRuns(ctx);
  return { outcome: result.outcome, runId: result.runId, modelVersion: result.modelVersion };
}

/**
 * The run's plan and promotion policy, from the dataset's stored config and the request, settled once
 * here. A request whose training does not resolve (a search that does not parse, a grid too large)
 * makes a run that fails at once with the reason: retrying cannot fix it, and launching a job to find
 * out would only cost one.
 */
function settle(dataset: DatasetDoc, request: TrainingRequested): Pick<RunDoc, 'plan' | 'promotion'> | { error: string } {
  try {
    const config = datasetConfigOf(dataset);
    return { plan: resolveRunPlan(config, request.training), promotion: config.promotion };
  } catch (err) {
    if (err instanceof MloopError && err.permanent) return { error: `the run cannot be planned: ${err.message}` };
    throw err;
  }
}
