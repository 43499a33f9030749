/**
 * Binary classification metrics. Each returns NaN when it is undefined (one class only, no rows);
 * callers treat NaN as "no metric" rather than as a bad score.
 */
export type Labels = ArrayLike<number>;
export type Scores = ArrayLike<number>;

export type BinaryMetrics = {
  auc: number;
  pr_auc: number;
  logloss: number;
  accuracy: number;
  positives: number;
  rows: number;
};

export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

export interface PrPoint {
  recall: number;
  precision: number;
  threshold: number;
}

const MAX_CURVE_POINTS = 200;

function countPositives(y: Labels): number {
  let p = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) p++;
  return p;
}

function checkLengths(y: Labels, scores: Scores): void {
  if (y.length !== scores.length) throw new RangeError(`${y.length} labels but ${scores.length} scores`);
}

/** Row indices by descending score. */
function descending(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[b] - scores[a]);
}

/** Mann–Whitney U over average ranks, so tied scores count one half, as scikit-learn does. */
export function rocAuc(y: Labels, scores: Scores): number {
  checkLengths(y, scores);
  const positives = countPositives(y);
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  const order = descending(scores).reverse();
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]] === 1) rankSum += rank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Cumulative true and false positives at each distinct threshold, highest first: the shared walk behind
 * average precision and both curves.
 */
function thresholdWalk(y: Labels, scores: Scores): { tp: number[]; fp: number[]; thresholds: number[] } {
  const order = descending(scores);
  const tp: number[] = [];
  const fp: number[] = [];
  const thresholds: number[] = [];
  let t = 0;
  let f = 0;
  for (let i = 0; i < order.length; i++) {
    if (y[order[i]] === 1) t++;
    else f++;
    if (i + 1 === order.length || scores[order[i + 1]] !== scores[order[i]]) {
      tp.push(t);
      fp.push(f);
      thresholds.push(scores[order[i]]);
    }
  }
  return { tp, fp, thresholds };
}

/** Average precision as scikit-learn computes it: Σ (Rₙ − Rₙ₋₁) Pₙ, no interpolation. */
export function prAuc(y: Labels, scores: Scores): number {
  checkLengths(y, scores);
  const positives = countPositives(y);
  if (positives === 0) return NaN;
  const { tp, fp } = thresholdWalk(y, scores);
  let ap = 0;
  let lastRecall = 0;
  for (let k = 0; k < tp.length; k++) {
    const recall = tp[k] / positives;
    ap += (recall - lastRecall) * (tp[k] / (tp[k] + fp[k]));
    lastRecall = recall;
  }
  return ap;
}

/** Probabilities are clipped to float32 resolution, the precision the model produces them in. */
export function logLoss(y: Labels, scores: Scores, eps = 1e-7): number {
  checkLengths(y, scores);
  if (y.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, scores[i]));
    sum -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / y.length;
}

export function accuracy(y: Labels, scores: Scores, threshold = 0.5): number {
  checkLengths(y, scores);
  if (y.length === 0) return NaN;
  let right = 0;
  for (let i = 0; i < y.length; i++) if ((scores[i] >= threshold ? 1 : 0) === y[i]) right++;
  return right / y.length;
}

/** Keeps the first and last point and evenly spaced ones between, so a report stays small. */
function downsample<T>(points: T[]): T[] {
  if (points.length <= MAX_CURVE_POINTS) return points;
  const step = (points.length - 1) / (MAX_CURVE_POINTS - 1);
  return Array.from({ length: MAX_CURVE_POINTS }, (_, k) => points[Math.round(k * step)]);
}

export function rocCurve(y: Labels, scores: Scores): RocPoint[] {
  checkLengths(y, scores);
  const positives = countPositives(y);
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return [];
  const { tp, fp, thresholds } = thresholdWalk(y, scores);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  for (let k = 0; k < tp.length; k++) points.push({ fpr: fp[k] / negatives, tpr: tp[k] / positives, threshold: thresholds[k] });
  return downsample(points);
}

export function prCurve(y: Labels, scores: Scores): PrPoint[] {
  checkLengths(y, scores);
  const positives = countPositives(y);
  if (positives === 0) return [];
  const { tp, fp, thresholds } = thresholdWalk(y, scores);
  const points = tp.map((t, k) => ({ recall: t / positives, precision: t / (t + fp[k]), threshold: thresholds[k] }));
  return downsample(points);
}

/**
 * The threshold with the best F1 — what a fraud team would alert on — since class weighting moves
 * scores away from calibrated probabilities and 0.5 stops meaning anything. 0.5 and NaN without positives.
 */
export function bestF1Threshold(y: Labels, scores: Scores): { threshold: number; f1: number } {
  checkLengths(y, scores);
  const positives = countPositives(y);
  if (positives === 0) return { threshold: 0.5, f1: NaN };
  const { tp, fp, thresholds } = thresholdWalk(y, scores);
  let best = { threshold: 0.5, f1: -1 };
  for (let k = 0; k < tp.length; k++) {
    const f1 = (2 * tp[k]) / (tp[k] + fp[k] + positives);
    if (f1 > best.f1) best = { threshold: thresholds[k], f1 };
  }
  return best;
}

/**
 * The highest threshold whose recall reaches `target`: the most precise cut that still catches that share
 * of the positives, for teams that size alerts by the fraud they must not miss.
 */
export function thresholdForRecall(y: Labels, scores: Scores, target: number): { threshold: number; recall: number } {
  checkLengths(y, scores);
  if (!(target > 0 && target <= 1)) throw new RangeError(`target recall must be in (0, 1], got ${target}`);
  const positives = countPositives(y);
  if (positives === 0) return { threshold: 0.5, recall: NaN };
  const { tp, thresholds } = thresholdWalk(y, scores);
  const k = tp.findIndex((t) => t / positives >= target);
  return { threshold: thresholds[k], recall: tp[k] / positives };
}

export type Confusion = { tp: number; fp: number; tn: number; fn: number };

/** Label = score ≥ threshold, as the scorer labels. */
export function confusionAt(y: Labels, scores: Scores, threshold: number): Confusion {
  checkLengths(y, scores);
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const predicted = scores[i] >= threshold;
    if (y[i] === 1) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

export type ThresholdMetrics = Confusion & { precision: number; recall: number; f1: number };

/** Precision of a threshold that flags nothing is NaN: there is no precision to speak of. */
export function metricsAt(y: Labels, scores: Scores, threshold: number): ThresholdMetrics {
  const c = confusionAt(y, scores, threshold);
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : NaN;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : NaN;
  const f1 = c.tp + c.fn > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : NaN;
  return { ...c, precision, recall, f1 };
}

export function evaluateBinary(y: Labels, scores: Scores, threshold = 0.5): BinaryMetrics {
  return {
    auc: rocAuc(y, scores),
    pr_auc: prAuc(y, scores),
    logloss: logLoss(y, scores),
    accuracy: accuracy(y, scores, threshold),
    positives: countPositives(y),
    rows: y.length,
  };
}
