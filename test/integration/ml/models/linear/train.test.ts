/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { TOPICS } from '../../../../../shared/core/events';
import { rocAuc } from '../../../../../shared/ml/metrics';
import { ARTIFACT_FILES, openScorer, readHoldout, readManifest } from '../../../../../shared/pipeline/artifacts/model_files';
import type { Context } from '../../../../../shared/pipeline/context';
import { getRunDetail } from '../../../../../shared/pipeline/read_models/run_detail';
import { artifactsPrefix } from '../../../../../shared/pipeline/store/documents';
import { ingestObject } from '../../../../../shared/pipeline/usecases/on_data_uploaded';
import { requestTraining } from '../../../../../shared/pipeline/usecases/on_training_requested';
import { runTrainingJob } from '../../../../../shared/pipeline/usecases/run_training_job';
import { RecordingLauncher } from '../../../../support/recording_launcher';
import { scratchContextEachTest } from '../../../../support/scratch_context';

/**
 * `"algorithm": "linear"` in mloop.json, through the local pipeline as a gbdt run goes: the upload is
 * ingested, a run planned and trained by the job, the version written with its coefficients, and the
 * ONNX served by the scorer on the holdout.
 */
let ctx: Context;

scratchContextEachTest('mloop-linear-run-', async (c) => {
  ctx = c;
  await ctx.platform.bus.ensureSubscription(TOPICS.trainingRequested, 'probe');
}, { env: { MLOOP_TRAIN_WORKERS: '1' }, platform: (p) => ({ ...p, jobs: new RecordingLauncher() }) });

/** Positives rise with amount and with kind b; `noise` carries nothing, which an L1 penalty should see. */
const CSV =
  'amount,noise,kind,label\n' +
  Array.from({ length: 1200 }, (_, i) => {
    const amount = (i * 37) % 100;
    const kind = i % 3 ? 'a' : 'b';
    const noise = (i * 53) % 17;
    const positive = amount + (kind === 'b' ? 30 : 0) + ((i * 7919) % 41) > 95;
    return `${amount},${noise},${kind},${positive ? 'yes' : 'no'}`;
  }).join('\n') +
  '\n';

it('trains a run of "algorithm": "linear" whose version reports its coefficients and scores the holdout as trained', async () => {
  await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/churn/mloop.json', JSON.stringify({ target: 'label', positive_class: 'yes', algorithm: 'linear', params: { penalty: 'l1', alpha: 0.01 } }));
  const object = await ctx.platform.objects.put(ctx.config.dataBucket, 'datasets/churn/data.csv', CSV);
  const ingested = await ingestObject(ctx, { bucket: object.bucket, name: object.name, generation: object.generation });
  if (ingested.outcome !== 'accepted') throw new Error(JSON.stringify(ingested));
  const created = await requestTraining(ctx, { request_id: 'r1', model: 'churn', dataset_version: ingested.version, reason: 'manual', requested_at: new Date().toISOString() });
  expect(await runTrainingJob(ctx, created.runId, 1)).toBe('succeeded');

  const detail = await getRunDetail(ctx, created.runId);
  // the job has written the version; the run's status follows when its completion event is handled
  expect(detail.run.plan).toMatchObject({ algorithm: 'linear', params: { penalty: 'l1', alpha: 0.01 } });
  const manifest = await readManifest(ctx, 'churn', detail.run.model_version);
  expect(manifest).toMatchObject({ algorithm: 'linear', task: 'binary', output: { name: 'probability' } });
  expect(manifest.trainer.params).toEqual({ penalty: 'l1', alpha: 0.01, l1_ratio: 0.5, max_iter: 1000, tol: 1e-4 });
  expect(manifest.trainer.backend).toMatch(/^js, OWL-QN, \d+ iterations$/);

  // the coefficients, in the run's record as the manifest keeps them: per encoded column and an intercept
  const c = detail.trainer!.coefficients!;
  expect(c.outputs).toEqual(['yes']);
  expect(c.intercept).toHaveLength(1);
  expect(c.columns.map((col) => col.category ?? col.feature)).toEqual(['amount', 'noise', 'a', 'b']);
  const weight = (name: string) => c.columns.find((col) => (col.category ?? col.feature) === name)!.weights[0];
  expect(weight('amount')).toBeGreaterThan(0);
  expect(weight('b') - weight('a')).toBeGreaterThan(0);
  expect(weight('noise')).toBe(0);

  // and in the version's report, the largest first
  const report = (await ctx.platform.objects.get(ctx.config.artifactsBucket, `${artifactsPrefix('churn', detail.run.model_version)}${ARTIFACT_FILES.report}`)).toString('utf8');
  expect(report).toContain('<h2>Coefficients (raw encoded columns)</h2>');
  expect(report.indexOf('<td>kind = b</td>')).toBeGreaterThan(report.indexOf('(intercept)'));

  // served: the ONNX under the scorer ranks the holdout rows as the run's own AUC says
  const scorer = await openScorer(ctx, 'churn', detail.run.model_version);
  try {
    const holdout = await readHoldout(ctx, 'churn', detail.run.model_version);
    const scores = await scorer.scoreRecords(holdout.map((h) => h.record));
    const auc = rocAuc(Float32Array.from(holdout, (h) => Number(h.label)), scores);
    expect(auc).toBeGreaterThan(0.9);
    expect(auc).toBeCloseTo(manifest.metrics.auc, 5);
  } finally {
    await scorer.release();
  }
}, 60_000);
