import { prAuc, rocAuc } from '../ml/metrics';

/**
 * Performance on the labelled part of the window: ROC AUC and PR AUC of the logged scores against the
 * labels fed back, judged against the AUC the model had on its test split. Undecided (not degraded)
 * until there are `min_labels` labelled predictions with both classes among them.
 */
export interface PerformanceResult {
  labelled: number;
  /** Labels fed back for these predictions that were neither 0 nor 1, left out of the metrics. */
  unusable_labels: number;
  positives: number;
  auc: number | null;
  pr_auc: number | null;
  /** The model version's ROC AUC on its test split. */
  reference_auc: number | null;
  auc_drop: number;
  degraded: boolean;
  summary: string;
}

export function assessPerformance(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  referenceAuc: number | null,
  settings: { auc_drop: number; min_labels: number },
  unusable = 0,
): PerformanceResult {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const base = { labelled: labels.length, unusable_labels: unusable, positives, reference_auc: referenceAuc, auc_drop: settings.auc_drop };
  const negatives = labels.length - positives;
  if (labels.length < settings.min_labels || positives === 0 || negatives === 0) {
    const why = labels.length < settings.min_labels ? `${labels.length} of the ${settings.min_labels} labels needed` : 'labels of one class only';
    return { ...base, auc: null, pr_auc: null, degraded: false, summary: `performance not judged: ${why}${ignored(unusable)}` };
  }
  const auc = rocAuc(labels, scores);
  const pr = prAuc(labels, scores);
  const degraded = referenceAuc !== null && Number.isFinite(referenceAuc) && auc < referenceAuc - settings.auc_drop;
  const against = referenceAuc === null ? 'no test AUC to compare with' : `test AUC ${referenceAuc.toFixed(4)}, allowed drop ${settings.auc_drop}`;
  return {
    ...base,
    auc,
    pr_auc: pr,
    degraded,
    summary: `live ROC AUC ${auc.toFixed(4)} (PR AUC ${pr.toFixed(4)}) on ${labels.length} labelled predictions, ${against}${degraded ? ': degraded' : ''}${ignored(unusable)}`,
  };
}

// said in the summary, so that labels sent in the wrong form are not taken for labels still to come
const ignored = (unusable: number) => (unusable > 0 ? `; ${unusable} label${unusable === 1 ? '' : 's'} ignored (a binary model's labels are 0 or 1)` : '');
