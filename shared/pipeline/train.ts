import { errorMessage, MloopError } from '../core/errors';
import { TOPICS, type TrainingCompleted } from '../core/events';
import { datasetId } from '../core/ids';
import { parseDatasetConfig } from '../data/dataset_config';
import { prepareTrainingData } from '../data/prepare';
import type { Manifest } from '../ml/manifest';
import { bestF1Threshold, evaluateBinary } from '../ml/metrics';
import { trainBinaryClassifier } from '../ml/train_tf';
import { ARTIFACT_FILES, encodeHoldout, writeArtifact } from './artifacts';
import type { Context } from './context';
import { artifactsPrefix, COLLECTIONS, type DatasetDoc, type RunDoc } from './documents';
import { renderReport } from './report';

export type JobOutcome = 'succeeded' | 'failed' | 'skipped';

/** Progress is written at most this often, so a fast epoch loop does not hammer the document store. */
const PROGRESS_EVERY_MS = 500;

/**
 * The train job: read the dataset, train, evaluate on the test split, write the artifacts, and report
 * with `training-completed`. Any error is reported as a failed completion (bad data does not get better
 * by retrying); a job that dies without reporting is retried by the reconcile pass instead.
 */
export async function runTrainingJob(ctx: Context, runId: string, attempt: number): Promise<JobOutcome> {
  const { docs, bus, clock } = ctx.platform;
  const run = await docs.get<RunDoc>(COLLECTIONS.runs, runId);
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
    await docs.update(COLLECTIONS.runs, run.id, { reported_attempt: attempt });
  };
  try {
    const metrics = await train(ctx, run);
    await report({ status: 'succeeded', metrics, artifacts_prefix: artifactsPrefix(run.model, run.model_version) });
    return 'succeeded';
  } catch (err) {
    ctx.log.error({ run_id: run.id, attempt, err: errorMessage(err) }, 'training failed');
    await report({ status: 'failed', error: errorMessage(err) });
    return 'failed';
  }
}

async function train(ctx: Context, run: RunDoc) {
  const { docs, objects, clock } = ctx.platform;
  const dataset = await docs.get<DatasetDoc>(COLLECTIONS.datasets, datasetId(run.model, run.dataset_version));
  if (!dataset) throw new MloopError('not_found', `dataset ${run.model}:${run.dataset_version} does not exist`);
  const live = await objects.stat(dataset.object.bucket, dataset.object.name);
  if (!live || live.md5Hash !== dataset.object.md5Hash) {
    throw new MloopError('failed_precondition', `${dataset.object.name} changed or was deleted after dataset ${run.dataset_version} was recorded`);
  }
  const config = parseDatasetConfig(dataset.config ?? {});
  const started = clock.now();
  const data = await prepareTrainingData(() => objects.createReadStream(dataset.object.bucket, dataset.object.name), config, {
    seed: config.seed,
    sample: config.sample ?? ctx.config.defaultSample,
  });
  ctx.log.info({ run_id: run.id, rows: data.report.rows, positives: data.report.positives, features: data.specs.length }, 'data prepared');

  let lastWrite = 0;
  const trained = await trainBinaryClassifier(
    data,
    { algorithm: config.algorithm, epochs: config.epochs ?? ctx.config.trainEpochs, seed: config.seed },
    async (progress) => {
      const now = Date.now();
      if (now - lastWrite < PROGRESS_EVERY_MS && progress.epoch < progress.epochs) return;
      lastWrite = now;
      await docs.update(COLLECTIONS.runs, run.id, { progress });
    },
  );
  // Rare positives make 0.5 a poor cut: the label threshold is the one with the best F1 on validation.
  const { threshold } = bestF1Threshold(data.validation.y, trained.predict(data.validation.X, data.validation.n));
  const testScores = trained.predict(data.test.X, data.test.n);
  const metrics = { ...evaluateBinary(data.test.y, testScores, threshold), threshold };
  const seconds = (clock.now().getTime() - started.getTime()) / 1000;

  const manifest: Manifest = {
    format_version: 1,
    model: run.model,
    version: run.model_version,
    run_id: run.id,
    task: 'binary',
    algorithm: config.algorithm,
    target: data.target,
    positive_class: data.positiveClass,
    features: data.specs,
    dropped: data.dropped,
    threshold,
    metrics,
    dataset: { version: run.dataset_version, uri: `${dataset.object.bucket}/${dataset.object.name}`, rows: data.report.rows },
    trainer: { name: 'tfjs', backend: trained.backend, params: trained.params, best_epoch: trained.bestEpoch, history: trained.history },
    input: { name: 'features', width: data.train.X.length / Math.max(1, data.train.n) },
    output: { name: 'probability' },
    created_at: clock.now().toISOString(),
  } as Manifest;

  const holdout = data.test.records.map((record, i) => ({ label: data.test.y[i] as 0 | 1, record }));
  await writeArtifact(ctx, run.model, run.model_version, ARTIFACT_FILES.model, Buffer.from(trained.onnx), 'application/octet-stream');
  await writeArtifact(ctx, run.model, run.model_version, ARTIFACT_FILES.holdout, encodeHoldout(holdout), 'application/x-ndjson');
  await writeArtifact(ctx, run.model, run.model_version, ARTIFACT_FILES.report, renderReport(manifest, data.report), 'text/html');
  // The manifest goes last: a version folder with a manifest is complete.
  await writeArtifact(ctx, run.model, run.model_version, ARTIFACT_FILES.manifest, JSON.stringify(manifest, null, 2), 'application/json');
  await docs.update(COLLECTIONS.runs, run.id, { backend: trained.backend, metrics, training_seconds: seconds });
  ctx.log.info({ run_id: run.id, auc: metrics.auc, seconds, backend: trained.backend }, 'model trained');
  return metrics;
}
