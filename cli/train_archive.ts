import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/core/config';
import { MloopError } from '../shared/core/errors';
import { loadImageTrainingData } from '../shared/data/images/tensors';
import { imageVersionFiles } from '../shared/pipeline/artifacts/image_version_files';
import { misclassifiedThumbnails } from '../shared/pipeline/artifacts/misclassified_thumbnails';
import { imageSpecOf, parseDatasetConfig } from '../shared/pipeline/dataset_config';
import { scanArchive, testSplitRows } from '../shared/pipeline/training/image_archive';
import { bindImagePlan, trainImageCandidate } from '../shared/pipeline/training/image_training';
import { resolveRunPlan } from '../shared/pipeline/training/training_plan';
import { progressReporter } from './progress_bar';
import type { TrainFileOptions } from './train_file';

/** An archive of images, as the ingest names them: zip, tar, tar.gz. */
export const ARCHIVE_FILE = /\.(zip|tar|tar\.gz|tgz)$/i;

/** The flags of a table's training, which an archive of images has no use for. */
const TABLE_ONLY: Array<[keyof TrainFileOptions, string]> = [
  ['target', '--target'],
  ['positive', '--positive'],
  ['sample', '--sample'],
  ['search', '--search'],
  ['unsupervised', '--unsupervised'],
  ['targetRecall', '--target-recall'],
];

export interface TrainArchiveResult {
  algorithm: string;
  task: 'image_classification';
  /** Images trained, validated and tested on. */
  rows: number;
  classes: string[];
  seconds: number;
  /** The TensorFlow.js backend that trained, after any the chain passed over. */
  backend: string;
  metrics: Record<string, number | null>;
  /** Each class's precision, recall and F1 on the test split (null where undefined: a class never predicted). */
  per_class: Array<{ class: string; precision: number | null; recall: number | null; f1: number | null; support: number }>;
  /** matrix[actual][predicted], in `classes` order. */
  confusion: { classes: string[]; matrix: number[][] };
  dataset: { version: string; images_read: number; rejected: number; ignored: number; warnings: string[] };
  artifacts: string;
  files: string[];
  trials: 1;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * `mloop train <archive>`: the train job's image path in the foreground — the same scan (and refusals),
 * preprocessing, stratified split, CNN, evaluation and version files — written to a folder. The job
 * reads mloop.json from the bucket; here its image fields come as flags.
 */
export async function trainArchive(
  config: Config,
  file: string,
  options: TrainFileOptions,
  params: Record<string, unknown> | undefined,
  version: string,
  stderr: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<TrainArchiveResult> {
  const started = Date.now();
  const stray = TABLE_ONLY.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
  if (stray.length > 0) throw new MloopError('invalid_argument', `${stray.join(', ')} ${stray.length > 1 ? 'apply' : 'applies'} to a CSV, not to an archive of images`);
  const fields = { algorithm: options.algorithm, seed: options.seed, params, image_size: options.imageSize, channels: options.channels, min_images_per_class: options.minImagesPerClass };
  // a flag not given is no field at all, so the image defaults (the CNN) stand
  const dataset = parseDatasetConfig(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), 'images');
  const plan = bindImagePlan(resolveRunPlan(dataset, null), { epochs: config.trainEpochs, backend: config.tfBackend });
  const bytes = fs.readFileSync(file);
  const scanned = await scanArchive(bytes, dataset);
  const { report } = scanned;
  for (const warning of report.warnings) stderr.write(`warning: ${warning}\n`);
  if (report.errors.length > 0) throw new MloopError('invalid_argument', `no model can be trained on ${file}: ${report.errors.join('; ')}`);
  const data = await loadImageTrainingData(bytes, scanned, imageSpecOf(dataset));
  stderr.write(
    `${report.images} images in ${scanned.classes.length} classes (${report.rejected_count} rejected, ${report.ignored_count} other entries ignored), ` +
      `${data.spec.size}×${data.spec.size}×${data.spec.channels}, ${plan.algorithm}: train ${data.train.n}, validation ${data.validation.n}, test ${data.test.n}\n`,
  );

  const bar = progressReporter(stderr);
  const candidate = await trainImageCandidate(data, plan, (p) => bar.update(p));
  bar.done();
  for (const skipped of candidate.trained.skippedBackends) stderr.write(`backend ${skipped.name} passed over: ${skipped.reason}\n`);

  const now = new Date();
  const model = path.basename(file).replace(ARCHIVE_FILE, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-') || 'model';
  const holdout = await testSplitRows(bytes, scanned);
  // the version folder the job writes, thumbnails of the mistakes included
  const thumbnails = await misclassifiedThumbnails(data, candidate.test);
  const info = { model, version, run_id: `local-${version}`, dataset: { version: scanned.version, uri: path.resolve(file) }, created_at: now.toISOString() };
  const { manifest, files } = imageVersionFiles(data, candidate, plan, holdout, info, thumbnails);
  const out = path.resolve(options.out ?? path.join('artifacts', version));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(out, f.name)), { recursive: true });
    fs.writeFileSync(path.join(out, f.name), f.data);
  }
  const { evaluation } = candidate;
  return {
    algorithm: plan.algorithm,
    task: 'image_classification',
    rows: data.train.n + data.validation.n + data.test.n,
    classes: data.classes,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    backend: candidate.trained.backend,
    metrics: Object.fromEntries(Object.entries(manifest.metrics).map(([k, v]) => [k, finite(v)])),
    per_class: evaluation.per_class.map((c) => ({ class: c.class, precision: finite(c.precision), recall: finite(c.recall), f1: finite(c.f1), support: c.support })),
    confusion: evaluation.confusion,
    dataset: { version: scanned.version, images_read: report.images_read, rejected: report.rejected_count, ignored: report.ignored_count, warnings: report.warnings },
    artifacts: out,
    files: files.map((f) => path.join(out, f.name)),
    trials: 1,
  };
}
