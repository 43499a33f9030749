import { z } from 'zod';

/**
 * How a pseudo-family such as `auto` chose the model it returns: each candidate family it considered,
 * with its validation score, time and parameters, or why it did not train. The manifest and the run
 * carry it, so that a reader sees what the winner was measured against.
 */
export const CANDIDATE_STATUSES = ['trained', 'skipped', 'stopped', 'failed'] as const;

export const CandidateRecordSchema = z.object({
  family: z.string().min(1),
  /** trained: measured on validation; skipped: never started; stopped: cut off by the budget; failed: its trainer threw. */
  status: z.enum(CANDIDATE_STATUSES),
  /**
   * The score it was chosen by (see Selection.measured): on validation, or the mean of the cross-
   * validation folds and validation; null when it did not train (or the metric is undefined there).
   */
  value: z.number().nullable(),
  /** Its model's score on validation, when `value` is more than that. */
  validation: z.number().nullable().optional(),
  /** Each cross-validation fold's score: a model trained on the other folds, scored on this one. */
  folds: z.array(z.number().nullable()).optional(),
  seconds: z.number().nonnegative(),
  best_iteration: z.number().int().nonnegative().nullable(),
  params: z.record(z.string(), z.unknown()).nullable(),
  reason: z.string().optional(),
  /** Its score on the rows the blend was chosen on (out-of-fold and validation predictions pooled). */
  pooled: z.number().nullable().optional(),
});

/**
 * The ensemble auto's greedy selection built over the trained candidates (models/auto/ensemble_selection.ts),
 * kept or not: its members' weights, its score and the best candidate's alone on the same pooled rows.
 */
export const BlendRecordSchema = z.object({
  /** Whether the model served is this blend (it scored better than the best candidate alone). */
  kept: z.boolean(),
  members: z.array(z.object({ family: z.string().min(1), weight: z.number().positive() })),
  value: z.number(),
  /** The best candidate alone on the same rows. */
  single: z.object({ family: z.string().min(1), value: z.number() }),
  /** The rows the blend was chosen on, in words. */
  measured: z.string(),
});

export const SelectionSchema = z.object({
  /** The pseudo-family that chose, as mloop.json or the request named it. */
  by: z.string().min(1),
  metric: z.string().min(1),
  higher_is_better: z.boolean(),
  budget_seconds: z.number().positive(),
  /** How the candidates' values were measured, in words; absent in records written before it was said. */
  measured: z.string().optional(),
  /** The family whose model was kept, the manifest's `algorithm`; `blend` when auto's blend was kept (the manifest's algorithm is then `auto`). */
  winner: z.string().min(1),
  candidates: z.array(CandidateRecordSchema),
  blend: BlendRecordSchema.optional(),
});

export type CandidateRecord = z.output<typeof CandidateRecordSchema>;
export type Selection = z.output<typeof SelectionSchema>;
export type BlendRecord = z.output<typeof BlendRecordSchema>;
