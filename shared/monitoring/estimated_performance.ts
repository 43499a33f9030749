import { seededRandom } from '../data/random';

/**
 * Confidence-based performance estimation (NannyML's CBPE) of a binary model on a window of served
 * scores, before any label: when the scores are calibrated probabilities (mloop calibrates binary models
 * on validation and serves the calibrated score), a row of score p is a positive with probability p.
 * The expected confusion counts follow — a row labelled positive adds p to TP and 1 − p to FP, one
 * labelled negative p to FN and 1 − p to TN — and so do the expected accuracy and the ROC curve of
 * expected TPR against expected FPR, whose area is the estimated AUC. The interval is the spread of the
 * metric the labels would realise: labels drawn as Bernoulli(p), the metric computed on each draw, its
 * 2.5th and 97.5th percentiles. It is only as good as the calibration: a change of the relation between
 * features and label (concept drift) is invisible to it, which is why the labels, when they come back,
 * are recorded beside it. The alarm needs the estimate more than `estimated_auc_drop` below the test AUC
 * and its interval wholly below the test AUC: a window of a few hundred rows with a handful of expected
 * positives gives intervals like [0.43, 1.00], whose point estimate alone would alarm on noise.
 */
export interface EstimatedPerformance {
  rows: number;
  /** The label threshold the served labels were cut at. */
  threshold: number;
  auc: number | null;
  auc_interval: [number, number] | null;
  accuracy: number;
  accuracy_interval: [number, number];
  /** The expected share of positives: the mean served score. */
  positive_rate: number;
  /** The version's test ROC AUC the estimate is judged against. */
  reference_auc: number | null;
  estimated_auc_drop: number;
  degraded: boolean;
  summary: string;
  /** What the labels said once they came back for the window's predictions (see pipeline/monitoring/realised_performance.ts). */
  realised?: RealisedPerformance;
}

export interface RealisedPerformance {
  labelled: number;
  auc: number | null;
  accuracy: number | null;
  /** The label-based alarm: realised AUC below the test AUC by more than `auc_drop`. */
  degraded: boolean;
  recorded_at: string;
}

const DRAWS = 200;
/** Draws × rows at most, so that a window of a million rows costs a few hundred milliseconds, not minutes. */
const WORK = 50_000_000;

/** Expected ROC AUC from calibrated scores: the area under expected TPR over expected FPR, tied scores one step. */
export function expectedAuc(sorted: Float64Array): number | null {
  let positives = 0;
  for (const p of sorted) positives += p;
  const negatives = sorted.length - positives;
  if (positives <= 0 || negatives <= 0) return null;
  // ascending scores: each group of ties adds its expected negatives × (positives above + half its own)
  let area = 0;
  let positivesAbove = positives;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let groupPositives = 0;
    let groupNegatives = 0;
    while (j < sorted.length && sorted[j] === sorted[i]) {
      groupPositives += sorted[j];
      groupNegatives += 1 - sorted[j];
      j++;
    }
    positivesAbove -= groupPositives;
    area += groupNegatives * (positivesAbove + groupPositives / 2);
    i = j;
  }
  return area / (positives * negatives);
}

/** AUC of drawn labels over the same ascending scores (Mann–Whitney, ties one half). */
function drawnAuc(sorted: Float64Array, labels: Uint8Array): number | null {
  let positives = 0;
  for (const y of labels) positives += y;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return null;
  let negativesBelow = 0;
  let sum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let p = 0;
    let n = 0;
    while (j < sorted.length && sorted[j] === sorted[i]) {
      if (labels[j]) p++;
      else n++;
      j++;
    }
    sum += p * (negativesBelow + n / 2);
    negativesBelow += n;
    i = j;
  }
  return sum / (positives * negatives);
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
};

export function estimatePerformance(
  scores: ArrayLike<number>,
  threshold: number,
  referenceAuc: number | null,
  settings: { estimated_auc_drop: number },
  seed = 1,
): EstimatedPerformance {
  const sorted = Float64Array.from(scores, (p) => Math.min(Math.max(p, 0), 1)).sort();
  const n = sorted.length;
  let correct = 0;
  let mean = 0;
  for (const p of sorted) {
    correct += p >= threshold ? p : 1 - p;
    mean += p;
  }
  const accuracy = correct / Math.max(n, 1);
  const auc = expectedAuc(sorted);
  const random = seededRandom(seed);
  const draws = Math.max(20, Math.min(DRAWS, Math.floor(WORK / Math.max(n, 1))));
  const aucs: number[] = [];
  const accuracies: number[] = [];
  const labels = new Uint8Array(n);
  for (let d = 0; d < draws; d++) {
    let right = 0;
    for (let i = 0; i < n; i++) {
      labels[i] = random.next() < sorted[i] ? 1 : 0;
      right += (sorted[i] >= threshold ? 1 : 0) === labels[i] ? 1 : 0;
    }
    accuracies.push(right / Math.max(n, 1));
    const drawn = drawnAuc(sorted, labels);
    if (drawn !== null) aucs.push(drawn);
  }
  const interval = (values: number[]): [number, number] => [percentile(values, 0.025), percentile(values, 0.975)];
  const aucInterval = auc !== null && aucs.length >= draws / 2 ? interval(aucs) : null;
  // An estimate from a handful of expected positives can sit far below the test AUC by chance alone; the
  // alarm wants the drop beyond what is allowed AND an interval that excludes no drop at all.
  const below = auc !== null && referenceAuc !== null && Number.isFinite(referenceAuc) && auc < referenceAuc - settings.estimated_auc_drop;
  const uncertain = below && (aucInterval === null || aucInterval[1] >= referenceAuc!);
  const degraded = below && !uncertain;
  const aucText = auc === null ? 'no AUC (the scores expect one class only)' : `estimated ROC AUC ${auc.toFixed(4)}${aucInterval ? ` [${aucInterval[0].toFixed(4)}, ${aucInterval[1].toFixed(4)}]` : ''}`;
  const against = referenceAuc === null ? 'no test AUC to compare with' : `test AUC ${referenceAuc.toFixed(4)}, allowed drop ${settings.estimated_auc_drop}`;
  return {
    rows: n,
    threshold,
    auc,
    auc_interval: aucInterval,
    accuracy,
    accuracy_interval: interval(accuracies),
    positive_rate: mean / Math.max(n, 1),
    reference_auc: referenceAuc,
    estimated_auc_drop: settings.estimated_auc_drop,
    degraded,
    summary: `${aucText}, estimated accuracy ${accuracy.toFixed(4)} from ${n} calibrated scores before labels; ${against}${degraded ? ': degraded' : uncertain ? ': below it, but the interval reaches the test AUC (too few expected positives to tell)' : ''}`,
  };
}
