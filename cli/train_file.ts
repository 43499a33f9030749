import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/core/config';
import { MloopError } from '../shared/core/errors';
import { contentVersion } from '../shared/core/ids';
import { aboutFile } from '../shared/data/csv_file_errors';
import { parseDatasetConfig } from '../shared/pipeline/dataset_config';
import { prepareTrainingData } from '../shared/data/prepare';
import { openTableFile } from '../shared/data/table';
import { trainCandidate } from '../shared/pipeline/training/train_core';
import { planTraining } from '../shared/pipeline/training/training_plan';
import { versionFiles } from '../shared/pipeline/artifacts/version_files';
import type { Selection } from '../shared/ml/selection';
import { checkInputFile } from './input_file';
import { progressReporter } from './progress_bar';
import { ARCHIVE_FILE, trainArchive, type TrainArchiveResult } from './train_archive';

/**
 * `mloop train <file.csv | file.parquet | archive>`: what the train job does, in the foreground and without a stack — the
 * same data preparation, training core and artifact files — written to a folder instead of the bucket. An
 * archive of images (zip, tar, tar.gz) takes the job's image path (see train_archive.ts).
 */
export interface TrainFileOptions {
  target?: string;
  positive?: string;
  algorithm?: string;
  sample?: number;
  out?: string;
  /** JSON objects, as in mloop.json. */
  params?: string;
  search?: string;
  unsupervised?: boolean;
  targetRecall?: number;
  seed?: number;
  /** An archive of images: mloop.json's image_size, channels and min_images_per_class. */
  imageSize?: number;
  channels?: number;
  minImagesPerClass?: number;
}

export interface TrainFileResult {
  /** The family that trained the model: the one asked for, or the one `auto` chose. */
  algorithm: string;
  /** When `auto` chose: every candidate with its validation score, time and parameters. */
  selection?: Selection;
  calibration?: { method: string; reason: string; ece_before: number; ece_after: number };
  task: string;
  rows: number;
  seconds: number;
  metrics: Record<string, number | null>;
  artifacts: string;
  trials: number;
}

function json(flag: string, text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below, with what was expected
  }
  throw new MloopError('invalid_argument', `${flag} must be a JSON object, got ${text}`);
}

/** A version name that sorts by time, as the folder of one training by hand. */
const versionAt = (at: Date) => at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export async function trainFile(config: Config, file: string, options: TrainFileOptions, stderr: NodeJS.WritableStream & { isTTY?: boolean }): Promise<TrainFileResult | TrainArchiveResult> {
  checkInputFile(file);
  if (ARCHIVE_FILE.test(file)) return trainArchive(config, file, options, json('--params', options.params), versionAt(new Date()), stderr);
  const started = Date.now();
  const dataset = parseDatasetConfig({
    target: options.target,
    positive_class: options.positive,
    algorithm: options.algorithm,
    sample: options.sample,
    seed: options.seed,
    params: json('--params', options.params),
    search: json('--search', options.search),
    unsupervised: options.unsupervised,
    target_recall: options.targetRecall,
    image_size: options.imageSize,
    channels: options.channels,
    min_images_per_class: options.minImagesPerClass,
  }, 'csv');
  const data = await aboutFile(file, () => prepareTrainingData(() => openTableFile(file), dataset, { seed: dataset.seed, sample: dataset.sample }));
  const plan = planTraining(data.task, dataset, null, { epochs: config.trainEpochs, backend: config.tfBackend });
  stderr.write(`${data.report.rows} rows, ${data.task} target "${data.target}", ${plan.algorithm}${plan.trials.length > 1 ? `, ${plan.trials.length} trials` : ''}\n`);

  const bar = progressReporter(stderr);
  const candidate = await trainCandidate(data, plan, { workers: config.trainWorkers, workerScript: config.trialWorkerScript }, (p) => bar.update(p));
  bar.done();

  const now = new Date();
  const version = versionAt(now);
  const model = path.basename(file).replace(/\.(csv|parquet)$/i, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-') || 'model';
  const { manifest, files } = versionFiles(data, candidate, plan, {
    model,
    version,
    run_id: `local-${version}`,
    dataset: { version: await contentVersion(fs.createReadStream(file)), uri: path.resolve(file) },
    created_at: now.toISOString(),
    card: { intended_use: dataset.intended_use, slices: dataset.slices },
  });
  const out = path.resolve(options.out ?? path.join('artifacts', version));
  fs.mkdirSync(out, { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(out, f.name), f.data);
  return {
    algorithm: candidate.fitted.algorithm,
    ...(candidate.fitted.selection ? { selection: candidate.fitted.selection } : {}),
    ...(candidate.calibration ? { calibration: { method: candidate.calibration.method, reason: candidate.calibration.reason, ece_before: candidate.calibration.test.before.ece, ece_after: candidate.calibration.test.after.ece } } : {}),
    task: data.task,
    rows: data.report.rows,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    metrics: Object.fromEntries(Object.entries(manifest.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null])),
    artifacts: out,
    trials: plan.trials.length,
  };
}
