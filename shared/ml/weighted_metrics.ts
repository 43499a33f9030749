import { ranking, weightedAuc, type Ranking } from './paired_bootstrap';

/**
 * A task's metrics with a weight per row, so that a bootstrap resample (a vector of row counts) is
 * measured by one linear walk: whatever needs an order (AUC, average precision) is sorted once, when the
 * rows are prepared. With every weight 1 each equals the unweighted metric of metrics.ts,
 * multiclass_metrics.ts and regression_metrics.ts (a test holds them to it).
 */
export type WeightedMeasure = (weights: ArrayLike<number>) => Record<string, number>;

/** The metrics measured per slice, by task: every one a promotion can be judged on, and the usual companions. */
export const SLICE_METRICS = {
  binary: ['auc', 'pr_auc', 'logloss'],
  multiclass: ['macro_auc', 'accuracy', 'macro_f1', 'logloss'],
  regression: ['rmse', 'mae'],
} as const;

const EPS = 1e-7;

/** `predicted` as the model gives it: [n] for binary and regression, [n × K] for multiclass. */
export function weightedMeasure(task: 'binary' | 'multiclass' | 'regression', y: ArrayLike<number>, predicted: ArrayLike<number>, classes = 0): WeightedMeasure {
  if (task === 'binary') return binary(y, predicted);
  if (task === 'multiclass') return multiclass(y, predicted, classes);
  return regression(y, predicted);
}

function binary(y: ArrayLike<number>, scores: ArrayLike<number>): WeightedMeasure {
  const ranked = ranking(y, scores);
  return (w) => {
    let total = 0;
    let loss = 0;
    for (let i = 0; i < y.length; i++) {
      if (w[i] === 0) continue;
      const p = Math.min(1 - EPS, Math.max(EPS, scores[i]));
      loss -= w[i] * (y[i] === 1 ? Math.log(p) : Math.log(1 - p));
      total += w[i];
    }
    return { auc: weightedAuc(ranked, w), pr_auc: weightedAveragePrecision(ranked, w), logloss: total > 0 ? loss / total : NaN };
  };
}

/** Average precision as prAuc computes it: from the highest score down, tied scores one step. */
export function weightedAveragePrecision({ order, positive, tiedWithNext }: Ranking, weights: ArrayLike<number>): number {
  let positives = 0;
  for (let k = 0; k < order.length; k++) if (positive[k] === 1) positives += weights[order[k]];
  if (positives === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let k = order.length - 1; k >= 0; k--) {
    const w = weights[order[k]];
    if (positive[k] === 1) tp += w;
    else fp += w;
    if (k > 0 && tiedWithNext[k - 1] === 1) continue;
    if (tp + fp === 0) continue;
    const recall = tp / positives;
    ap += (recall - lastRecall) * (tp / (tp + fp));
    lastRecall = recall;
  }
  return ap;
}

function multiclass(y: ArrayLike<number>, probabilities: ArrayLike<number>, K: number): WeightedMeasure {
  const n = y.length;
  const predicted = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probabilities[i * K + k] > probabilities[i * K + best]) best = k;
    predicted[i] = best;
  }
  const perClass: Ranking[] = [];
  for (let k = 0; k < K; k++) {
    const scores = new Float64Array(n);
    const isClass = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = probabilities[i * K + k];
      isClass[i] = y[i] === k ? 1 : 0;
    }
    perClass.push(ranking(isClass, scores));
  }
  return (w) => {
    const actual = new Float64Array(K);
    const said = new Float64Array(K);
    const right = new Float64Array(K);
    let total = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) continue;
      total += w[i];
      actual[y[i]] += w[i];
      said[predicted[i]] += w[i];
      if (predicted[i] === y[i]) right[y[i]] += w[i];
      loss -= w[i] * Math.log(Math.min(1 - EPS, Math.max(EPS, probabilities[i * K + y[i]])));
    }
    let f1 = 0;
    let f1Classes = 0;
    let auc = 0;
    let aucClasses = 0;
    for (let k = 0; k < K; k++) {
      if (actual[k] + said[k] > 0) {
        f1 += (2 * right[k]) / (actual[k] + said[k]);
        f1Classes++;
      }
      const a = weightedAuc(perClass[k], w);
      if (Number.isFinite(a)) {
        auc += a;
        aucClasses++;
      }
    }
    const correct = right.reduce((a, b) => a + b, 0);
    return {
      macro_auc: aucClasses > 0 ? auc / aucClasses : NaN,
      accuracy: total > 0 ? correct / total : NaN,
      macro_f1: f1Classes > 0 ? f1 / f1Classes : NaN,
      logloss: total > 0 ? loss / total : NaN,
    };
  };
}

function regression(y: ArrayLike<number>, predicted: ArrayLike<number>): WeightedMeasure {
  return (w) => {
    let total = 0;
    let squared = 0;
    let absolute = 0;
    for (let i = 0; i < y.length; i++) {
      const e = y[i] - predicted[i];
      total += w[i];
      squared += w[i] * e * e;
      absolute += w[i] * Math.abs(e);
    }
    return total > 0 ? { rmse: Math.sqrt(squared / total), mae: absolute / total } : { rmse: NaN, mae: NaN };
  };
}
