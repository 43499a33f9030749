import { z } from 'zod';
import { MloopError } from '../core/errors';
import { encodedWidth, FeatureSpecSchema } from '../data/encoding';
import { DROP_REASONS } from '../data/schema';
import { ONNX_INPUT, ONNX_OUTPUT } from './onnx_export';

/**
 * manifest.json: everything needed to serve a model version and to explain it — the encoding, the
 * threshold, metrics, lineage and how it was trained. The scorer trusts nothing else.
 */

// JSON has no NaN; an undefined metric is written as null and read back as NaN, as the metrics module uses.
const Metric = z.union([z.number(), z.nan(), z.null()]).transform((v) => v ?? NaN);

export const Manifest = z
  .object({
    format_version: z.literal(1),
    model: z.string().min(1),
    version: z.string().min(1),
    run_id: z.string().min(1),
    task: z.literal('binary'),
    algorithm: z.enum(['mlp', 'logistic']),
    target: z.string().min(1),
    /** The target value the model's probability is about. */
    positive_class: z.union([z.string(), z.number()]),
    features: z.array(FeatureSpecSchema).min(1),
    dropped: z.array(z.object({ name: z.string(), reason: z.enum(DROP_REASONS) })),
    /** label = probability ≥ threshold. */
    threshold: z.number().min(0).max(1),
    metrics: z.object({ auc: Metric, pr_auc: Metric, logloss: Metric, accuracy: Metric }).catchall(Metric),
    dataset: z.object({ version: z.string().min(1), uri: z.string(), rows: z.number().int().nonnegative() }),
    trainer: z.object({
      name: z.literal('tfjs'),
      backend: z.string().min(1),
      params: z.record(z.string(), z.unknown()),
      best_epoch: z.number().int().nonnegative(),
      history: z.array(z.object({ epoch: z.number().int(), loss: Metric, val_loss: Metric })),
    }),
    input: z.object({ name: z.literal(ONNX_INPUT), width: z.number().int().positive() }),
    output: z.object({ name: z.literal(ONNX_OUTPUT) }),
    created_at: z.string().min(1),
  })
  .refine((m) => encodedWidth(m.features) === m.input.width, {
    message: 'input.width differs from the width the features encode to',
    path: ['input', 'width'],
  });

export type Manifest = z.output<typeof Manifest>;

export function parseManifest(raw: unknown): Manifest {
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new MloopError('invalid_argument', `invalid manifest.json: ${problems.slice(0, 5).join('; ')}`, { issues: problems });
  }
  return parsed.data;
}
