import type { ErrorModelFile } from '../ml/error_model';

/**
 * A regression model's MAE on a window of served rows, estimated before labels (Direct Loss Estimation,
 * ml/error_model.ts): the mean of each row's estimated |y − ŷ|. Its interval is the realised MAE's
 * sampling spread around that mean, ±1.96 · s / √n with s the spread of |y − ŷ| around its estimate on
 * the test split; it does not cover a bias of the error model itself, which the test split's estimated
 * against realised MAE (`reference`) shows. The alarm: the estimate above the test MAE by more than
 * `estimated_mae_rise` (a share of it).
 */
export interface EstimatedError {
  rows: number;
  mae: number;
  mae_interval: [number, number];
  /** The version's test split: its realised MAE (what the estimate is judged against) and the error model's estimate of it. */
  reference_mae: number;
  reference_estimated_mae: number;
  estimated_mae_rise: number;
  degraded: boolean;
  summary: string;
  /** What the labels said once they came back for the window's predictions (pipeline/monitoring/realised_performance.ts). */
  realised?: RealisedError;
}

export interface RealisedError {
  labelled: number;
  mae: number;
  rmse: number;
  /** Judged as the tick judges labels (monitoring/labelled_error.ts): at least min_labels, MAE above the test MAE by more than mae_rise. */
  degraded: boolean;
  recorded_at: string;
}

/** The MAE a rise of `rise` (a share) over the test MAE reaches. */
export const maeLimit = (referenceMae: number, rise: number) => referenceMae * (1 + rise);

export function estimateError(estimates: ArrayLike<number>, reference: ErrorModelFile['reference'], settings: { estimated_mae_rise: number }): EstimatedError {
  const n = estimates.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += estimates[i];
  const mae = sum / Math.max(n, 1);
  const half = (1.96 * reference.residual_sd) / Math.sqrt(Math.max(n, 1));
  const limit = maeLimit(reference.mae, settings.estimated_mae_rise);
  const degraded = n > 0 && mae > limit;
  return {
    rows: n,
    mae,
    mae_interval: [Math.max(0, mae - half), mae + half],
    reference_mae: reference.mae,
    reference_estimated_mae: reference.estimated_mae,
    estimated_mae_rise: settings.estimated_mae_rise,
    degraded,
    summary:
      `estimated MAE ${fmt(mae)} [${fmt(Math.max(0, mae - half))}, ${fmt(mae + half)}] from ${n} served rows before labels; ` +
      `test MAE ${fmt(reference.mae)} (estimated there ${fmt(reference.estimated_mae)}), limit ${fmt(limit)} (+${Math.round(settings.estimated_mae_rise * 100)}%)${degraded ? ': degraded' : ''}`,
  };
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
