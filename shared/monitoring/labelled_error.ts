import { maeLimit } from './estimated_error';

/**
 * A regression's performance on the labelled part of the window: the MAE (and RMSE) of the served values
 * against the values fed back, judged against the MAE the version had on its test split. The label-based
 * counterpart of a binary model's live AUC (performance.ts), and of the estimate before labels
 * (estimated_error.ts), judged the same way: above the test MAE by more than `mae_rise`, a share of it.
 * Undecided (not degraded) below `min_labels` labelled predictions.
 */
export interface LabelledError {
  labelled: number;
  mae: number | null;
  rmse: number | null;
  /** The model version's MAE on its test split. */
  reference_mae: number | null;
  mae_rise: number;
  degraded: boolean;
  summary: string;
}

export function assessError(
  labels: ArrayLike<number>,
  values: ArrayLike<number>,
  referenceMae: number | null,
  settings: { mae_rise: number; min_labels: number },
): LabelledError {
  const n = labels.length;
  const base = { labelled: n, reference_mae: referenceMae, mae_rise: settings.mae_rise };
  if (n < settings.min_labels) {
    return { ...base, mae: null, rmse: null, degraded: false, summary: `error not judged: ${n} of the ${settings.min_labels} labels needed` };
  }
  const { mae, rmse } = errorOf(labels, values);
  const known = referenceMae !== null && Number.isFinite(referenceMae);
  const limit = known ? maeLimit(referenceMae, settings.mae_rise) : null;
  const degraded = limit !== null && mae > limit;
  const against = limit === null ? 'no test MAE to compare with' : `test MAE ${fmt(referenceMae!)}, limit ${fmt(limit)} (+${Math.round(settings.mae_rise * 100)}%)`;
  return { ...base, mae, rmse, degraded, summary: `live MAE ${fmt(mae)} (RMSE ${fmt(rmse)}) on ${n} labelled predictions, ${against}${degraded ? ': degraded' : ''}` };
}

/** MAE and RMSE of `values` against `labels` (NaN for none). */
export function errorOf(labels: ArrayLike<number>, values: ArrayLike<number>): { mae: number; rmse: number } {
  let absolute = 0;
  let squares = 0;
  for (let i = 0; i < labels.length; i++) {
    const e = labels[i] - values[i];
    absolute += Math.abs(e);
    squares += e * e;
  }
  return { mae: absolute / labels.length, rmse: Math.sqrt(squares / labels.length) };
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
