import { z } from 'zod';
import { MloopError } from '../core/errors';
import { encodedWidth, FeatureSpecSchema } from '../data/encoding';
import { DROP_REASONS } from '../data/schema';
import type { Task } from '../data/prepare';
import { family, FAMILIES, FAMILY_NAMES } from './models/registry';
import { ONNX_IMAGE_INPUT, ONNX_INPUT, ONNX_OUTPUTS, type OnnxOutput } from './onnx_io';
import { SelectionSchema } from './selection';
import { CalibrationSchema } from './calibration/record_schema';

/** An image model's preprocessing (shared/data/images/image_spec.ts), checked as the scorer relies on it. */
const ImageSpecSchema = z.strictObject({
  size: z.number().int().min(8).max(512),
  channels: z.union([z.literal(1), z.literal(3)]),
  layout: z.literal('NHWC'),
  scale: z.number().positive(),
});

/**
 * manifest.json: everything needed to serve a model version and to explain it — the task and its
 * classes, the encoding, the threshold, metrics, lineage and how it was trained, and the second model
 * (an anomaly detector) when one was trained beside it. The scorer trusts nothing else.
 */

// JSON has no NaN; an undefined metric is written as null and read back as NaN, as the metrics module uses.
const Metric = z.union([z.number(), z.nan(), z.null()]).transform((v) => v ?? NaN);
const Metrics = z.record(z.string(), Metric);

/** The file names of a version folder that the manifest refers to. */
export const MODEL_FILE = 'model.onnx';
export const ANOMALY_FILE = 'anomaly.onnx';

/** The families that may be served beside a model: those that score anomalies without a target. */
const UNSUPERVISED_NAMES = FAMILIES.filter((f) => f.tasks.includes('anomaly')).map((f) => f.name) as [string, ...string[]];

const Trial = z.object({
  trial: z.number().int().nonnegative(),
  params: z.record(z.string(), z.unknown()),
  metric: z.string(),
  value: z.number().nullable(),
  best_iteration: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  worker: z.number().int().nonnegative(),
  task: z.number().int().nonnegative().optional(),
});

export const Manifest = z
  .object({
    format_version: z.literal(2),
    model: z.string().min(1),
    version: z.string().min(1),
    /** A human label (`1.0.0`) given at import, which versioned routes accept beside `version`. */
    label: z.string().min(1).optional(),
    run_id: z.string().min(1),
    task: z.enum(['binary', 'multiclass', 'regression']),
    algorithm: z.enum(FAMILY_NAMES),
    target: z.string().min(1),
    /** binary: [negative, positive]; multiclass: class names, index = output column; regression: null. */
    classes: z.array(z.string()).nullable(),
    /** The encoded columns of a table; empty for an image model, whose input is `image`. */
    features: z.array(FeatureSpecSchema),
    dropped: z.array(z.object({ name: z.string(), reason: z.enum(DROP_REASONS) })),
    /** Binary: label = score ≥ threshold. */
    threshold: z.number().nullable(),
    metrics: Metrics,
    dataset: z.object({
      version: z.string().min(1),
      uri: z.string(),
      rows: z.number().int().nonnegative(),
      /** With a time column: the prepared rows' earliest and latest time (epoch ms for dates); for the model card. */
      time_range: z.object({ column: z.string(), from: z.number(), to: z.number() }).optional(),
    }),
    trainer: z.object({
      backend: z.string().min(1),
      params: z.record(z.string(), z.unknown()),
      best_iteration: z.number().int().nonnegative(),
      history: z.array(
        z.object({ iteration: z.number().int(), loss: Metric, val_loss: Metric, accuracy: Metric.optional(), val_accuracy: Metric.optional() }),
      ),
      importance: z.array(z.object({ feature: z.string(), gain: z.number() })).optional(),
      /** A linear family's coefficients on the raw encoded columns (models/linear/linear_model.ts). */
      coefficients: z
        .object({
          outputs: z.array(z.string()),
          intercept: z.array(z.number()),
          columns: z.array(z.object({ feature: z.string(), category: z.string().optional(), weights: z.array(z.number()) })),
          calibration: z.array(z.object({ a: z.number(), b: z.number() })).optional(),
        })
        .optional(),
    }),
    /** Mean |contribution| per feature on the holdout and dependence points of the top ones (explain/global_importance.ts). */
    explanations: z
      .object({
        rows: z.number().int().nonnegative(),
        approximate: z.boolean(),
        importance: z.array(z.object({ feature: z.string(), mean_abs: z.number() })),
        dependence: z.array(z.object({ feature: z.string(), points: z.array(z.tuple([z.union([z.number(), z.string()]), z.number()])) })),
      })
      .optional(),
    /** The sweep the model won, when the run tried several parameter sets. */
    sweep: z.object({ metric: z.string(), best_trial: z.number().int().nonnegative(), trials: z.array(Trial) }).optional(),
    /** When `auto` chose the family: every candidate it tried, with its validation score, time and parameters. */
    selection: SelectionSchema.optional(),
    /** A binary classifier's calibration on validation, folded into model.onnx (calibration/calibrate_fitted.ts). */
    calibration: CalibrationSchema.optional(),
    /** `features` [N, width]; an image model's `images` [N, size, size, channels], width = size² × channels. */
    input: z.object({ name: z.enum([ONNX_INPUT, ONNX_IMAGE_INPUT]), width: z.number().int().positive() }),
    /**
     * An image model's preprocessing, as preprocessImage applies it to training and served images alike;
     * its class names are `classes`, in the order of the output's columns.
     */
    image: ImageSpecSchema.optional(),
    /** A clustering model (kmeans) answers `cluster` and, beside it, `distances` [N, clusters]. */
    output: z.object({ name: z.enum([ONNX_OUTPUTS.binary, ONNX_OUTPUTS.multiclass, ONNX_OUTPUTS.regression, ONNX_OUTPUTS.anomaly, ONNX_OUTPUTS.clustering]) }),
    /** An isolation forest trained beside the model on the same rows; its score is served next to the model's. */
    unsupervised: z
      .object({
        file: z.literal(ANOMALY_FILE),
        algorithm: z.enum(UNSUPERVISED_NAMES),
        output: z.literal(ONNX_OUTPUTS.anomaly),
        params: z.record(z.string(), z.unknown()),
        metrics: Metrics,
      })
      .optional(),
    created_at: z.string().min(1),
  })
  .refine((m) => (m.image ? m.input.width === m.image.size * m.image.size * m.image.channels : encodedWidth(m.features) === m.input.width), {
    message: 'input.width differs from the width the features (or the image spec) encode to',
    path: ['input', 'width'],
  })
  .refine((m) => (m.image ? m.input.name === ONNX_IMAGE_INPUT && m.task === 'multiclass' && m.features.length === 0 : m.input.name === ONNX_INPUT && m.features.length > 0), {
    message: `an image model reads ${ONNX_IMAGE_INPUT}, is multiclass and has no features; a table's model reads ${ONNX_INPUT} and has features`,
    path: ['input', 'name'],
  })
  .refine((m) => (m.task === 'regression' ? m.classes === null : m.classes !== null && (m.task === 'binary' ? m.classes.length === 2 : m.classes.length >= 2)), {
    message: 'classes must be [negative, positive] for binary, the class names for multiclass and null for regression',
    path: ['classes'],
  })
  .refine((m) => m.output.name === expectedOutput(m.task, m.algorithm), {
    message: 'output.name does not match the task and algorithm',
    path: ['output', 'name'],
  })
  // a clustering of rows with a binary target labels no row positive: it has no threshold either
  .refine((m) => (m.task === 'binary' && m.output.name !== ONNX_OUTPUTS.clustering) === (m.threshold !== null), {
    message: 'a binary model has a threshold, other tasks and clustering models have none',
    path: ['threshold'],
  });

export type Manifest = z.output<typeof Manifest>;

/** What the model's ONNX outputs, as its family answers a target of this task. */
export function expectedOutput(task: Task, algorithm: string): OnnxOutput {
  return family(algorithm).onnxOutput(task);
}

export function parseManifest(raw: unknown): Manifest {
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new MloopError('invalid_argument', `invalid manifest.json: ${problems.slice(0, 5).join('; ')}`, { issues: problems });
  }
  return parsed.data;
}
