import { errorMessage, MloopError } from '../../core/errors';
import type { TrainingRequested } from '../../core/events';
import { datasetId, runIdFor } from '../../core/ids';
import type { Context } from '../context';
import { COLLECTIONS, type DatasetDoc, type ModelDoc, type RunDoc } from '../store/documents';
import { datasetConfigOf } from '../store/stored_config';
import { resolveRunPlan } from '../training/training_plan';
import { taskCountFor } from '../training/task_count';

export type RequestResult = { outcome: 'created' | 'exists'; runId: string; modelVersion: string };

/**
 * onTrainingRequested: create the run once (its id derives from the request id, so a redelivered
 * request finds it), give it the model's next version, then start what the parallel limit allows.
 */
export async function requestTraining(ctx: Context, request: TrainingRequested): Promise<RequestResult> {
  const { docs, clock } = ctx.platform;
  const runId = runIdFor(request.request_id);
  const result = await docs.runTransaction(async (tx) => {
    const existing = await tx.get<RunDoc>(COLLECTIONS.runs, runId);
    if (existing) return { outcome: 'exists' as const, runId, modelVersion: existing.model_version };
    const dataset = await tx.get<DatasetDoc>(COLLECTIONS.datasets, datasetId(request.model, request.dataset_version));
    if (!dataset) {
      throw new MloopError('not_found', `dataset ${request.model}:${request.dataset_version} does not exist`);
    }
    if (dataset.status !== 'accepted') {
      throw new MloopError('failed_precondition', `dataset ${request.model}:${request.dataset_version} was rejected: ${dataset.reason}`);
    }
    const model = await tx.get<ModelDoc>(COLLECTIONS.models, request.model);
    const number = model?.next_version ?? 1;
    const now = clock.now().toISOString();
    const modelVersion = `v${number}`;
    tx.set(COLLECTIONS.models, request.model, {
      name: request.model,
      production_version: model?.production_version ?? null,
      previous_version: model?.previous_version ?? null,
      next_version: number + 1,
      aliases: model?.aliases ?? {},
      updated_at: now,
    });
    const settled = settle(dataset, request);
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
      ...('error' in settled ? { status: 'failed', error: settled.error, finished_at: now } : settled),
    };
    tx.create(COLLECTIONS.runs, runId, { ...run });
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

/**
 * Starts queued runs, oldest first, while fewer than `maxParallelJobs` run. Claiming a run and
 * counting the running ones happen in one transaction, so two dispatchers cannot both take the last
 * slot. A claim whose launch then fails goes back to the queue.
 */
export async function launchQueuedRuns(ctx: Context): Promise<string[]> {
  const started: string[] = [];
  for (;;) {
    const claimed = await claimNextRun(ctx);
    if (!claimed) return started;
    await launchClaimed(ctx, claimed);
    started.push(claimed.id);
  }
}

async function claimNextRun(ctx: Context): Promise<RunDoc | null> {
  const { docs, clock } = ctx.platform;
  return docs.runTransaction(async (tx) => {
    const running = await tx.query<RunDoc>(COLLECTIONS.runs, { where: [['status', '==', 'running']] });
    if (running.length >= ctx.config.maxParallelJobs) return null;
    const queued = await tx.query<RunDoc>(COLLECTIONS.runs, {
      where: [['status', '==', 'queued']],
      orderBy: [['created_at', 'asc']],
      limit: 1,
    });
    if (queued.length === 0) return null;
    const run = queued[0].data;
    const now = clock.now().toISOString();
    const patch = { status: 'running', attempt: run.attempt + 1, execution_id: null, claimed_at: now, progress: null, error: null };
    tx.update(COLLECTIONS.runs, run.id, patch);
    return { ...run, ...patch } as RunDoc;
  });
}

async function launchClaimed(ctx: Context, run: RunDoc): Promise<void> {
  const { jobs, docs, clock } = ctx.platform;
  try {
    const execution = await jobs.launch({
      runId: run.id,
      attempt: run.attempt,
      env: { MLOOP_RUN_ID: run.id, MLOOP_RUN_ATTEMPT: String(run.attempt) },
      taskCount: await taskCountFor(ctx, run),
    });
    await docs.runTransaction(async (tx) => {
      const current = await tx.get<RunDoc>(COLLECTIONS.runs, run.id);
      if (!current || current.attempt !== run.attempt) return;
      tx.update(COLLECTIONS.runs, run.id, {
        execution_id: execution.id,
        started_at: current.started_at ?? clock.now().toISOString(),
        executions: [
          ...current.executions,
          { id: execution.id, attempt: run.attempt, started_at: execution.startedAt, log_uri: execution.logUri },
        ],
      });
    });
    ctx.log.info({ run_id: run.id, attempt: run.attempt, execution_id: execution.id }, 'training job launched');
  } catch (err) {
    ctx.log.warn({ run_id: run.id, err: errorMessage(err) }, 'launch failed; the run goes back to the queue');
    await docs.update(COLLECTIONS.runs, run.id, { status: 'queued', attempt: run.attempt - 1, error: `launch failed: ${errorMessage(err)}` });
    throw err;
  }
}
