import type { Fitted } from '../fit';
import { calibrate, crossFittedLogLoss, fitCalibrator, logLoss, type CalibrationMethod, type CalibrationSetting, type Calibrator } from './calibrator';
import { foldCalibration } from './onnx';
import type { Platt } from './platt';
import { reliability, type ReliabilityBin } from './reliability';

/**
 * What a run records of its calibration (on the run and in the manifest): what was asked, what was
 * fitted on the validation split and why, and the test split's reliability before and after.
 */
export interface CalibrationRecord {
  requested: CalibrationSetting;
  method: CalibrationMethod | 'none';
  /** Why the method: chosen by validation log loss, asked for, or not calibrated and why. */
  reason: string;
  validation_rows: number;
  /** Validation log loss: uncalibrated as the model answered; each method cross-fitted (5 folds) so that isotonic cannot win by memorising. */
  log_loss: { uncalibrated: number; platt: number | null; isotonic: number | null };
  platt?: Platt;
  /** Isotonic: its breakpoints (score → probability), as folded into the ONNX graph. */
  isotonic?: { x: number[]; y: number[] };
  /** On the test split: expected calibration error and the reliability curve (10 equal-width bins), before and after. */
  test: { before: { ece: number; bins: ReliabilityBin[] }; after: { ece: number; bins: ReliabilityBin[] } };
}

const METHODS: CalibrationMethod[] = ['platt', 'isotonic'];
/**
 * Isotonic regression is a step function: fitted on a few hundred rows it has few steps, ties many
 * scores and can lower the ranking metrics it should leave alone (scikit-learn advises against it well
 * below 1 000 calibration rows). Platt's sigmoid is strictly monotone and keeps the ranking.
 */
export const ISOTONIC_MIN_ROWS = 1000;

/**
 * Calibrates a binary model on the validation split and folds the map into its ONNX: its validation and
 * test predictions become the calibrated ones, so the threshold, the metrics, the reference profile of
 * served scores and the exported graph all speak of the same probability.
 */
export function calibrateFitted(
  fitted: Fitted,
  labels: { validation: ArrayLike<number>; test: ArrayLike<number> },
  setting: CalibrationSetting,
  skip: string | null = null,
): { fitted: Fitted; record: CalibrationRecord } {
  const validation = fitted.predictions.validation;
  const n = validation.length;
  const uncalibrated = logLoss(labels.validation, validation);
  const before = reliability(labels.test, fitted.predictions.test);
  const losses = { uncalibrated, platt: null as number | null, isotonic: null as number | null };
  const base = { requested: setting, validation_rows: n };
  const positives = Array.from(labels.validation).filter((y) => y === 1).length;
  const why = skip ?? (setting === 'none' ? 'mloop.json says calibration: none' : positives === 0 || positives === n ? 'the validation split has one class only' : null);
  if (why) return { fitted, record: { ...base, method: 'none', reason: why, log_loss: losses, test: { before, after: before } } };

  const auto = setting === 'auto' || setting === 'none';
  const tried: CalibrationMethod[] = !auto ? [setting] : n >= ISOTONIC_MIN_ROWS ? METHODS : ['platt'];
  for (const method of tried) losses[method] = crossFittedLogLoss(method, validation, labels.validation);
  const method = tried.reduce((best, m) => (losses[m]! < losses[best]! ? m : best));
  const positive = Array.from(labels.validation, (y) => y === 1);
  const calibrator: Calibrator = fitCalibrator(method, validation, positive, n);
  const predictions = { validation: calibrate(calibrator, validation), test: calibrate(calibrator, fitted.predictions.test) };
  const after = reliability(labels.test, predictions.test);
  const reason =
    setting !== 'auto'
      ? `${method}: as mloop.json asks`
      : tried.length === 1
        ? `${method}: isotonic needs at least ${ISOTONIC_MIN_ROWS} validation rows, this split has ${n} (platt ${losses.platt!.toFixed(4)}, uncalibrated ${uncalibrated.toFixed(4)})`
        : `${method}: the lower validation log loss (platt ${losses.platt!.toFixed(4)}, isotonic ${losses.isotonic!.toFixed(4)}, uncalibrated ${uncalibrated.toFixed(4)})`;
  return {
    fitted: { ...fitted, onnx: foldCalibration(fitted.onnx, calibrator), predictions },
    record: {
      ...base,
      method,
      reason,
      log_loss: losses,
      ...(calibrator.method === 'platt' ? { platt: calibrator.platt } : { isotonic: calibrator.isotonic }),
      test: { before, after },
    },
  };
}
