import { z } from 'zod';
import { errorMessage, MloopError } from '../core/errors';
import { DEFAULT_FAMILY, FAMILY_NAMES } from '../ml/models/registry';
import { expandSearch, parseSearch } from '../ml/search_space';
import { MonitoringSettings } from '../monitoring/settings';

/**
 * The optional `mloop.json` beside a dataset. Every field has a default so that a bare PaySim-like CSV
 * trains without one; unknown keys are rejected because a typo ("epoch") would otherwise be ignored
 * silently and the run would not do what its author meant.
 */
const Promotion = z.strictObject({
  /** auc names each task's default: AUC, macro AUC (multiclass), RMSE (regression); pr_auc suits rare positives. */
  metric: z.enum(['auc', 'pr_auc', 'macro_auc', 'logloss', 'rmse']).default('auc'),
  delta: z.number().nonnegative().optional(),
  /** `manual`: a winning candidate waits for `mloop models approve`. */
  mode: z.enum(['auto', 'manual']).optional(),
  /** The worst metric a candidate may have, even as the first model: a minimum AUC, a maximum RMSE. */
  min: z.number().optional(),
  /** Guardrails on serving: p99 latency of one row, in milliseconds, and the size of the ONNX files. */
  max_p99_ms: z.number().positive().optional(),
  max_model_mb: z.number().positive().optional(),
});

export const DatasetConfigSchema = z.strictObject({
  target: z.string().trim().min(1).default('isFraud'),
  positive_class: z.union([z.string().min(1), z.number()]).optional(),
  /** Detected from the target when absent: see target.ts. */
  task: z.enum(['binary', 'multiclass', 'regression']).optional(),
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
  promotion: Promotion.default({ metric: 'auc' }),
  epochs: z.number().int().positive().max(10_000).optional(),
  drop: z.array(z.string().min(1)).default([]),
  seed: z.number().int().optional(),
  /** Rows to train on, drawn stratified on the target; absent: the caller's default (all rows locally). */
  sample: z.number().int().positive().optional(),
  /** Split by this column's order (oldest 70 % train, next 15 % validation, latest 15 % test) instead of at random. */
  time_column: z.string().trim().min(1).optional(),
  /** Drift monitoring of the served model: windows, thresholds, tests per feature (see shared/monitoring/settings.ts). */
  monitoring: MonitoringSettings.optional(),
});

export type DatasetConfig = z.output<typeof DatasetConfigSchema>;
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

export function parseDatasetConfig(raw: unknown): DatasetConfig {
  if (raw === undefined || raw === null) return DatasetConfigSchema.parse({});
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MloopError('invalid_argument', `mloop.json must be a JSON object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  const parsed = DatasetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(describe);
    throw new MloopError('invalid_argument', `invalid mloop.json: ${problems.join('; ')}`, { issues: problems });
  }
  return parsed.data;
}
