import { z } from 'zod';
import { errorMessage, MloopError } from '../core/errors';
import { imageSpecFrom, type ImageSpec } from '../data/images/image_spec';
import { CALIBRATION_SETTINGS } from '../ml/calibration/calibrator';
import { isImageFamily } from '../ml/models/family';
import { DEFAULT_FAMILY, family, FAMILIES, FAMILY_NAMES } from '../ml/models/registry';
import { expandSearch, parseSearch } from '../ml/search_space';
import { MonitoringSettings } from '../monitoring/settings';
import { CRON, sourceProblem } from './sources/bigquery_sql';

/** An archive of images is always this task: its classes are its folders (or its labels.csv). */
export const IMAGE_TASK = 'image_classification';
/** What a config sits beside; it decides the defaults and which fields apply. */
export type DatasetKind = 'csv' | 'images';
const IMAGE_FAMILY_NAMES = FAMILIES.filter(isImageFamily).map((f) => f.name);
const IMAGE_DEFAULT_FAMILY = IMAGE_FAMILY_NAMES[0];

/**
 * The optional `mloop.json` beside a dataset. Every field has a default so that a bare PaySim-like CSV
 * trains without one; unknown keys are rejected because a typo ("epoch") would otherwise be ignored
 * silently and the run would not do what its author meant.
 */
const Promotion = z.strictObject({
  /** auc names each task's default: AUC, macro AUC (multiclass), RMSE (regression); pr_auc suits rare positives; images default to accuracy. */
  metric: z.enum(['auc', 'pr_auc', 'macro_auc', 'logloss', 'rmse', 'accuracy', 'macro_f1']).default('auc'),
  delta: z.number().nonnegative().optional(),
  /** `manual`: a winning candidate waits for `mloop models approve`. */
  mode: z.enum(['auto', 'manual']).optional(),
  /** The worst metric a candidate may have, even as the first model: a minimum AUC, a maximum RMSE. */
  min: z.number().optional(),
  /** Guardrails on serving: p99 latency of one row, in milliseconds, and the size of the ONNX files. */
  max_p99_ms: z.number().positive().optional(),
  max_model_mb: z.number().positive().optional(),
  /**
   * Images: when the candidate knows a class production does not, each such class's recall on the
   * holdout must reach this (default NEW_CLASS_MIN_RECALL); see decisions/class_change.ts.
   */
  new_class_min_recall: z.number().min(0).max(1).optional(),
  /**
   * The slice guardrail, off unless max_slice_drop is set: no slice of at least min_slice_rows holdout
   * rows may lose more than this of the promotion metric against production (a fraction of production's
   * value for RMSE, as delta is); see decisions/slice_guardrail.ts.
   */
  max_slice_drop: z.number().nonnegative().optional(),
  min_slice_rows: z.number().int().positive().optional(),
});

/** Where a model's rows come from when they are not uploaded: a BigQuery table or query (see sources/bigquery_sql.ts). */
const BigQuerySourceSchema = z
  .strictObject({
    table: z.string().trim().min(1).optional(),
    query: z.string().trim().min(1).optional(),
    filter: z.string().trim().min(1).optional(),
    sample_percent: z.number().gt(0).max(100).optional(),
    location: z.string().trim().min(1).optional(),
    schedule: z.string().trim().regex(CRON, 'a unix-cron schedule of five fields, as "0 3 * * *"').optional(),
  })
  .superRefine((source, ctx) => {
    const problem = sourceProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const Source = z.strictObject({ bigquery: BigQuerySourceSchema });

export const DatasetConfigSchema = z.strictObject({
  /** Rows read from BigQuery as of one snapshot per run, instead of files uploaded under datasets/<model>/. */
  source: Source.optional(),
  target: z.string().trim().min(1).default('isFraud'),
  positive_class: z.union([z.string().min(1), z.number()]).optional(),
  /** Detected from the target when absent: see target.ts. An archive of images is always image_classification. */
  task: z.enum(['binary', 'multiclass', 'regression', IMAGE_TASK]).optional(),
  /** Images: the side every image is resized to, and 1 (grayscale) or 3 (RGB) channels; see image_spec.ts. */
  image_size: z.number().int().min(8).max(512).optional(),
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
  /** Images: a class with fewer images left after validation is dropped, with the reason in the report. */
  min_images_per_class: z.number().int().min(2).optional(),
  algorithm: z.enum(FAMILY_NAMES).default(DEFAULT_FAMILY),
  /** The algorithm's parameters over its defaults, under its own names (learning_rate, num_leaves, epochs, …). */
  params: z.record(z.string(), z.unknown()).optional(),
  /**
   * A sweep: values to try per parameter, {"space": {...}, "method": "random", "max_trials": n} or just the space.
   * Parsed here into its full form, and expanded once to check it, so a grid too large is refused with the upload.
   */
  search: z
    .unknown()
    .transform((value, ctx) => {
      try {
        const search = parseSearch(value);
        expandSearch(search);
        return search;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: errorMessage(err) });
        return z.NEVER;
      }
    })
    .optional(),
  /** Also train an isolation forest on the same rows, served beside the model (`anomaly_score`). */
  unsupervised: z.boolean().optional(),
  /** Binary: the label threshold is the most precise one reaching this recall on validation, not the best F1. */
  target_recall: z.number().gt(0).max(1).optional(),
  /** Binary: the map from the model's score to a probability, fitted on validation and folded into the ONNX (default auto: Platt or isotonic by validation log loss). */
  calibration: z.enum(CALIBRATION_SETTINGS).optional(),
  promotion: Promotion.default({ metric: 'auc' }),
  epochs: z.number().int().positive().max(10_000).optional(),
  drop: z.array(z.string().min(1)).default([]),
  seed: z.number().int().optional(),
  /** Rows to train on, drawn stratified on the target; absent: the caller's default (all rows locally). */
  sample: z.number().int().positive().optional(),
  /** Split by this column's order (oldest 70 % train, next 15 % validation, latest 15 % test) instead of at random. */
  time_column: z.string().trim().min(1).optional(),
  /**
   * What a run trains on: `latest`, the uploaded file alone (the default); `all`, the union of every
   * accepted file under datasets/<model>/ (CSV rows of the same columns, or every archive's images),
   * versioned by that set (see training/compose_dataset.ts).
   */
  compose: z.enum(['latest', 'all']).optional(),
  /** Images: start from production's weights when its class set, image spec and filters are this run's (default true). */
  warm_start: z.boolean().optional(),
  /** Columns whose values cut the holdout into slices, each measured apart; absent: the categorical features of 2 to 20 values. */
  slices: z.array(z.string().trim().min(1)).max(10).optional(),
  /** What the model is for and not for, in the author's words: printed in its model card. */
  intended_use: z.string().trim().min(1).max(4000).optional(),
  /** Drift monitoring of the served model: windows, thresholds, tests per feature (see shared/monitoring/settings.ts). */
  monitoring: MonitoringSettings.optional(),
});

export type DatasetConfig = z.output<typeof DatasetConfigSchema>;
/** A table's task, when mloop.json names one: what the CSV readers take. */
export type TabularTask = Exclude<DatasetConfig['task'], typeof IMAGE_TASK>;

/** The fields only an image dataset reads: refused beside a CSV, so that a misplaced mloop.json says so. */
const IMAGE_FIELDS = ['image_size', 'channels', 'min_images_per_class', 'warm_start'] as const;

/** The image task's defaults, under what mloop.json says: the CNN, judged on accuracy. */
function withImageDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const promotion = raw.promotion && typeof raw.promotion === 'object' && !Array.isArray(raw.promotion) ? raw.promotion : {};
  return { algorithm: IMAGE_DEFAULT_FAMILY, task: IMAGE_TASK, target: 'label', ...raw, promotion: { metric: 'accuracy', ...promotion } };
}

/** What one kind of dataset can be trained with, told apart only after the fields parsed. */
function kindProblems(config: DatasetConfig, kind: DatasetKind): string[] {
  if (kind === 'images') {
    const problems: string[] = [];
    if (config.task !== IMAGE_TASK) problems.push(`field "task": an archive of images is ${IMAGE_TASK}, not ${config.task}`);
    if (!isImageFamily(family(config.algorithm))) problems.push(`field "algorithm": ${config.algorithm} trains on a table; images train with ${IMAGE_FAMILY_NAMES.join(' or ')}`);
    if (!['accuracy', 'macro_f1', 'logloss', 'macro_auc'].includes(config.promotion.metric)) {
      problems.push(`field "promotion.metric": ${config.promotion.metric} does not apply to image classification (use accuracy, macro_f1, macro_auc or logloss)`);
    }
    return problems;
  }
  const problems = IMAGE_FIELDS.filter((f) => config[f] !== undefined).map((f) => `field "${f}" applies to an archive of images, not to a CSV`);
  if (config.task === IMAGE_TASK) problems.push(`field "task": ${IMAGE_TASK} needs an archive of images (zip, tar or tar.gz), not a CSV`);
  if (isImageFamily(family(config.algorithm))) problems.push(`field "algorithm": ${config.algorithm} trains on images, not on a CSV`);
  return problems;
}
export type PromotionConfig = DatasetConfig['promotion'];

/**
 * Marks a dataset document whose `config` is this parsed form. Documents written before the config was
 * stored typed do not have it, and are parsed once when read (see store/stored_config.ts).
 */
export const DATASET_CONFIG_VERSION = 2;

function describe(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = field ? ` in "${field}"` : '';
    const allowed = Object.keys(field === 'promotion' ? Promotion.shape : field === 'monitoring' ? MonitoringSettings.shape : DatasetConfigSchema.shape);
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `unknown field ${keys}${where} (allowed: ${allowed.join(', ')})`;
  }
  return `field "${field}": ${issue.message}`;
}

/**
 * `kind` is what the config sits beside: a CSV (the default, and what documents written before images
 * were read as) or an archive of images, whose defaults differ (the CNN, accuracy) and whose fields only
 * it may set. Without a kind, nothing is checked across: a config read back from a document.
 */
export function parseDatasetConfig(raw: unknown, kind?: DatasetKind): DatasetConfig {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MloopError('invalid_argument', `mloop.json must be a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const input = kind === 'images' ? withImageDefaults(raw as Record<string, unknown>) : raw;
  const parsed = DatasetConfigSchema.safeParse(input);
  const problems = parsed.success ? (kind ? kindProblems(parsed.data, kind) : []) : parsed.error.issues.map(describe);
  if (!parsed.success || problems.length > 0) {
    throw new MloopError('invalid_argument', `invalid mloop.json: ${problems.join('; ')}`, { issues: problems });
  }
  return parsed.data;
}

/** The image spec a config asks for: its image_size and channels over the defaults. */
export function imageSpecOf(config: DatasetConfig): ImageSpec {
  return imageSpecFrom({ image_size: config.image_size, channels: config.channels });
}
