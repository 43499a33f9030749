import { fitIsotonic, applyIsotonic, type Isotonic } from './isotonic';
import { fitPlatt, type Platt } from './platt';

/**
 * A binary model's score mapped to a probability, fitted on the validation split. Platt here is a
 * sigmoid of a·logit(p) + b on the model's own probability (clipped to [PLATT_EPS, 1 − PLATT_EPS], so
 * that a forest's 0 and 1 stay finite); isotonic is a monotone piecewise-linear map of p.
 */
export type CalibrationMethod = 'platt' | 'isotonic';
/** mloop.json `calibration`: `auto` picks the method with the lower cross-fitted validation log loss. */
export const CALIBRATION_SETTINGS = ['auto', 'none', 'platt', 'isotonic'] as const;
export type CalibrationSetting = (typeof CALIBRATION_SETTINGS)[number];

export type Calibrator = { method: 'platt'; platt: Platt } | { method: 'isotonic'; isotonic: Isotonic };

// float32 values, so that the trainer clips exactly where the ONNX graph does
export const PLATT_EPS = Math.fround(1e-6);
export const PLATT_ONE_MINUS_EPS = Math.fround(1 - 1e-6);

export function logitOf(p: number): number {
  const c = Math.min(Math.max(p, PLATT_EPS), PLATT_ONE_MINUS_EPS);
  return Math.log(c) - Math.log(Math.fround(1 - c));
}

export function fitCalibrator(method: CalibrationMethod, scores: ArrayLike<number>, positive: ArrayLike<boolean>, n: number): Calibrator {
  if (method === 'isotonic') return { method, isotonic: fitIsotonic(scores, positive, n) };
  return { method, platt: fitPlatt(Float64Array.from({ length: n }, (_, i) => logitOf(scores[i])), positive, n) };
}

/** The calibrator a recorded calibration describes (manifest `calibration`), or null when none was folded in. */
export function calibratorOf(record: { method: string; platt?: Platt; isotonic?: Isotonic } | undefined | null): Calibrator | null {
  if (record?.method === 'platt' && record.platt) return { method: 'platt', platt: record.platt };
  if (record?.method === 'isotonic' && record.isotonic) return { method: 'isotonic', isotonic: record.isotonic };
  return null;
}

export function calibrate(calibrator: Calibrator, scores: ArrayLike<number>): Float32Array {
  const out = new Float32Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    out[i] =
      calibrator.method === 'isotonic'
        ? applyIsotonic(calibrator.isotonic, scores[i])
        : 1 / (1 + Math.exp(-(calibrator.platt.a * logitOf(scores[i]) + calibrator.platt.b)));
  }
  return out;
}

/** Mean binary log loss, probabilities clipped to [1e-15, 1 − 1e-15] as scikit-learn's log_loss does. */
export function logLoss(labels: ArrayLike<number>, p: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const q = Math.min(Math.max(p[i], 1e-15), 1 - 1e-15);
    sum -= labels[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return sum / Math.max(labels.length, 1);
}

const FOLDS = 5;

/**
 * A method's log loss on validation rows it was not fitted on: fitted on four fifths, scored on the
 * fifth, five times. Fitted and judged on the same rows, isotonic would always win (it can memorise).
 */
export function crossFittedLogLoss(method: CalibrationMethod, scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = labels.length;
  const out = new Float64Array(n);
  for (let fold = 0; fold < FOLDS; fold++) {
    const fitRows: number[] = [];
    const heldOut: number[] = [];
    for (let i = 0; i < n; i++) (i % FOLDS === fold ? heldOut : fitRows).push(i);
    if (heldOut.length === 0) continue;
    const calibrator = fitCalibrator(method, fitRows.map((i) => scores[i]), fitRows.map((i) => labels[i] === 1), fitRows.length);
    const calibrated = calibrate(calibrator, heldOut.map((i) => scores[i]));
    heldOut.forEach((i, k) => (out[i] = calibrated[k]));
  }
  return logLoss(labels, out);
}
