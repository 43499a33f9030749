import { z } from 'zod';

/** The calibration record as a manifest stores it (the shape of calibrate_fitted.ts's CalibrationRecord). */
const Bin = z.object({ from: z.number(), to: z.number(), rows: z.number(), mean_score: z.number(), positive_rate: z.number() });
const Curve = z.object({ ece: z.number(), bins: z.array(Bin) });
const Loss = z.number().nullable();

export const CalibrationSchema = z.object({
  requested: z.enum(['auto', 'none', 'platt', 'isotonic']),
  method: z.enum(['none', 'platt', 'isotonic']),
  reason: z.string(),
  validation_rows: z.number().int().nonnegative(),
  log_loss: z.object({ uncalibrated: Loss, platt: Loss, isotonic: Loss }),
  platt: z.object({ a: z.number(), b: z.number() }).optional(),
  isotonic: z.object({ x: z.array(z.number()), y: z.array(z.number()) }).optional(),
  test: z.object({ before: Curve, after: Curve }),
});
