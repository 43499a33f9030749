import { errorMessage, MloopError } from '../../core/errors';
import { TOPICS, type Metrics, type TrainingCompleted } from '../../core/events';
import { DEFAULT_SPLIT_SEED, prepareTrainingData } from '../../data/prepare';
import { writeArtifact } from '../artifacts/model_files';
import type { Context } from '../context';
import { artifactsPrefix, type RunDoc, type RunProgress, type SweepState } from '../store/documents';
import { storeOf } from '../store';
import { runSweepShare } from '../training/sweep_share';
import { trainCandidate, type Candidate, type ProgressSink } from '../training/train_core';
import { bindPlan } from '../training/training_plan';
import { datasetConfigOf, runPlanOf } from '../store/stored_config';
import { versionFiles } from '../artifacts/version_files';
import { imageVersionFiles } from '../artifacts/image_version_files';
import { misclassifiedThumbnails } from '../artifacts/misclassified_thumbnails';
import type { DatasetConfig } from '../dataset_config';
import type { DatasetDoc } from '../store/documents';
import { loadArchiveImages, readArchiveObject, testSplitRows } from '../training/image_archive';
import { bindImagePlan, trainImageCandidate } from '../training/image_training';
import { warmStartFor, warmStartRecord } from '../training/warm_start';
import { assertUnchanged, openDatasetTable } from '../training/dataset_objects';
import type { RunPlan } from '../training/training_plan';
import { trainingEnd } from '../../ml/training_end';
import { family } from '../../ml/models/registry';

export type JobOutcome = 'succeeded' | 'failed' | 'skipped';

/** Progress is written at most this often, so a fast iteration loop does not hammer the document store. */
const PROGRESS_EVERY_MS = 500;

/**
 * The train job: read the dataset, train (a sweep's share of it when the execution has several tasks),
 * evaluate on the test split, write the artifacts, and report with `training-completed`. Any error is
 * reported as a failed completion (bad data does not get better by retrying); a job that dies without
 * reporting is retried by the reconcile pass instead.
 */
export async function runTrainingJob(ctx: Context, runId: string, attempt: number): Promise<JobOutcome> {
  const { bus, clock } = ctx.platform;
  const { runs } = storeOf(ctx);
  const run = await runs.get(runId);
  if (!run) throw new MloopError('not_found', `run ${runId} does not exist`);
  if (run.status !== 'running' || run.attempt !== attempt) {
    ctx.log.warn({ run_id: runId, attempt, status: run.status, current_attempt: run.attempt }, 'stale execution: nothing to do');
    return 'skipped';
  }
  const report = async (completion: Omit<TrainingCompleted, 'run_id' | 'attempt' | 'model' | 'model_version' | 'finished_at'>) => {
    const message: TrainingCompleted = {
      run_id: run.id,
      attempt,
      model: run.model,
      model_version: run.model_version,
      finished_at: clock.now().toISOString(),
      ...completion,
    };
    await bus.publish(TOPICS.trainingCompleted, message, { attributes: { model: run.model }, orderingKey: run.model });
    await runs.update(run.id, { reported_attempt: attempt });
  };
  try {
    const metrics = await train(ctx, run, attempt);
    if (metrics === null) return 'succeeded';
    await report({ status: 'succeeded', metrics, artifacts_prefix: artifactsPrefix(run.model, run.model_version) });
    return 'succeeded';
  } catch (err) {
    ctx.log.error({ run_id: run.id, attempt, err: errorMessage(err) }, 'training failed');
    await report({ status: 'failed', error: errorMessage(err) });
    return 'failed';
  }
}

/** Writes the run's progress, at most every PROGRESS_EVERY_MS but always the last iteration. */
function progressSink(ctx: Context, runId: string): ProgressSink {
  let lastWrite = 0;
  return async (progress: RunProgress) => {
    const now = Date.now();
    if (now - lastWrite < PROGRESS_EVERY_MS && progress.iteration < progress.iterations) return;
    lastWrite = now;
    await storeOf(ctx).runs.update(runId, { progress });
  };
}

/** JSON has no NaN: an undefined metric travels as null. */
const reported = (metrics: Record<string, number>): Metrics => Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));

/**
 * An archive of images: scanned again to find its images (the dataset document keeps the report, not
 * the list), checked to be the version the run was planned on, preprocessed and split as the scan says,
 * and trained in one task (a sweep's tasks are not shared out over images yet).
 */
async function trainOnImages(ctx: Context, run: RunDoc, dataset: DatasetDoc, config: DatasetConfig, stored: RunPlan): Promise<Metrics> {
  const { clock } = ctx.platform;
  const started = clock.now();
  const plan = bindImagePlan(stored, { epochs: ctx.config.trainEpochs, backend: ctx.config.tfBackend });
  const bytes = await readArchiveObject(ctx, dataset.object);
  const { dataset: scanned, data } = await loadArchiveImages(bytes, config);
  if (scanned.version !== dataset.version) {
    throw new MloopError('failed_precondition', `${dataset.object.name} now holds image dataset ${scanned.version}, not ${dataset.version} as recorded`);
  }
  ctx.log.info({ run_id: run.id, classes: data.classes.length, train: data.train.n, validation: data.validation.n, test: data.test.n, algorithm: plan.algorithm }, 'images prepared');
  const start = await warmStartFor(ctx, run, config, plan.algorithm, data);
  const candidate = await trainImageCandidate(data, plan, progressSink(ctx, run.id), 'warmStart' in start ? start.warmStart : undefined);
  await storeOf(ctx).runs.update(run.id, { warm_start: warmStartRecord(start, candidate.trained.warmStart) });
  const holdout = await testSplitRows(bytes, scanned);
  const thumbnails = await misclassifiedThumbnails(data, candidate.test);
  const version = imageVersionFiles(data, candidate, plan, holdout, lineage(ctx, run, dataset), thumbnails);
  const ended = {
    training_end: trainingEnd(candidate.trained, family(plan.algorithm).progressUnit),
    holdout: { dataset_version: run.dataset_version, rows: holdout.length, seed: null, sample: null, time_column: null },
  };
  const metrics = await storeVersion(ctx, run, started, version, candidate.trained.backend, ended);
  ctx.log.info({ run_id: run.id, metric: plan.metric.name, value: metrics[plan.metric.name], backend: candidate.trained.backend }, 'image model trained');
  return metrics;
}

/** The metrics to report, or null when this task's part is done and another task reports. */
async function train(ctx: Context, run: RunDoc, attempt: number): Promise<Metrics | null> {
  const { clock } = ctx.platform;
  const { runs, datasets } = storeOf(ctx);
  const dataset = await datasets.get(run.model, run.dataset_version);
  if (!dataset) throw new MloopError('not_found', `dataset ${run.model}:${run.dataset_version} does not exist`);
  await assertUnchanged(ctx, dataset, run.dataset_version);
  const config = datasetConfigOf(dataset);
  const stored = runPlanOf(run, dataset);
  if (dataset.kind === 'images') {
    // an image run is one training: the first task trains and reports, the others of a sweep's execution have no share
    if (ctx.config.job.taskIndex > 0) return null;
    return trainOnImages(ctx, run, dataset, config, stored);
  }
  const started = clock.now();
  // a dataset in parts (a BigQuery snapshot's exported files too) is read as its parts one after the
  // other, each checked against its recorded hash or generation
  const data = await prepareTrainingData(() => openDatasetTable(ctx, dataset, { verify: true }), config, {
    seed: stored.seed ?? undefined,
    sample: stored.sample ?? ctx.config.defaultSample,
  });
  const plan = bindPlan(data.task, stored, { epochs: ctx.config.trainEpochs, backend: ctx.config.tfBackend });
  ctx.log.info(
    { run_id: run.id, task: data.task, rows: data.report.rows, features: data.specs.length, algorithm: plan.algorithm, trials: plan.trials.length },
    'data prepared',
  );

  const onProgress = progressSink(ctx, run.id);
  const parallelism = { workers: ctx.config.trainWorkers, workerScript: ctx.config.trialWorkerScript };
  let candidate: Candidate;
  if (ctx.config.job.taskCount > 1) {
    const share = await runSweepShare(ctx, run, attempt, data, plan, parallelism, onProgress);
    if (share.role === 'stale') ctx.log.warn({ run_id: run.id, attempt }, 'the run moved on while this task trained: its trials are dropped');
    if (share.role !== 'finisher') return null;
    candidate = share.candidate;
  } else {
    candidate = await trainCandidate(data, plan, parallelism, onProgress);
    if (plan.trials.length > 1) {
      const sweep: SweepState = { attempt, tasks: 1, done: [0], trials: Object.fromEntries(candidate.trials.map((t) => [String(t.trial), { ...t, task: 0 }])), finisher: 0 };
      await runs.update(run.id, { sweep });
    }
  }

  if (candidate.fitted.selection) await runs.update(run.id, { selection: candidate.fitted.selection });
  if (candidate.calibration) await runs.update(run.id, { calibration: candidate.calibration });
  const version = versionFiles(data, candidate, plan, { ...lineage(ctx, run, dataset), card: { intended_use: config.intended_use, slices: config.slices } });
  const ended = {
    training_end: trainingEnd(candidate.fitted, family(plan.algorithm).progressUnit),
    holdout: {
      dataset_version: run.dataset_version,
      rows: data.test.n,
      seed: stored.seed ?? config.seed ?? DEFAULT_SPLIT_SEED,
      sample: data.report.sampled ? data.report.rows : null,
      time_column: config.time_column ?? null,
    },
  };
  const metrics = await storeVersion(ctx, run, started, version, candidate.fitted.backend, ended);
  ctx.log.info({ run_id: run.id, algorithm: candidate.fitted.algorithm, metric: plan.metric.name, value: metrics[plan.metric.name], backend: candidate.fitted.backend }, 'model trained');
  return metrics;
}

/** Where a version comes from, as its manifest records it. */
function lineage(ctx: Context, run: RunDoc, dataset: DatasetDoc) {
  return {
    model: run.model,
    version: run.model_version,
    run_id: run.id,
    dataset: { version: run.dataset_version, uri: `${dataset.object.bucket}/${dataset.object.name}` },
    created_at: ctx.platform.clock.now().toISOString(),
  };
}

/** The version's files into the artifacts bucket, and what the run reports of them. */
async function storeVersion(
  ctx: Context,
  run: RunDoc,
  started: Date,
  version: { manifest: { metrics: Record<string, number> }; files: Array<{ name: string; data: Buffer | string; contentType: string }> },
  backend: string | undefined,
  ended: Pick<RunDoc, 'training_end' | 'holdout'>,
): Promise<Metrics> {
  for (const file of version.files) await writeArtifact(ctx, run.model, run.model_version, file.name, file.data, file.contentType);
  const seconds = (ctx.platform.clock.now().getTime() - started.getTime()) / 1000;
  const metrics = reported(version.manifest.metrics);
  await storeOf(ctx).runs.update(run.id, { backend, metrics, training_seconds: seconds, ...ended });
  return metrics;
}
