import { rocAuc, type Labels } from './metrics';

/**
 * Multiclass metrics over row-major probabilities [n × K] and labels that are class indices. Like the
 * binary ones, each is NaN where it is undefined (no rows, no class with both outcomes).
 */
export type MulticlassMetrics = {
  accuracy: number;
  macro_f1: number;
  logloss: number;
  macro_auc: number;
  rows: number;
};

function check(y: Labels, probabilities: ArrayLike<number>, classes: number): void {
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`a multiclass model has at least 2 classes, got ${classes}`);
  if (probabilities.length !== y.length * classes) {
    throw new RangeError(`${y.length} labels of ${classes} classes need ${y.length * classes} probabilities, got ${probabilities.length}`);
  }
}

/** The most probable class of each row; the first one wins a tie, as numpy's argmax does. */
export function argmaxRows(probabilities: ArrayLike<number>, n: number, classes: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probabilities[i * classes + k] > probabilities[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** counts[actual][predicted]. */
export function confusionMatrix(y: Labels, probabilities: ArrayLike<number>, classes: number): number[][] {
  check(y, probabilities, classes);
  const predicted = argmaxRows(probabilities, y.length, classes);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < y.length; i++) matrix[y[i]][predicted[i]]++;
  return matrix;
}

/** Unweighted mean of per-class F1 over the classes that occur or are predicted, as scikit-learn's macro F1. */
function macroF1(matrix: number[][]): number {
  const f1s: number[] = [];
  matrix.forEach((row, k) => {
    const tp = row[k];
    const actual = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((sum, r) => sum + r[k], 0);
    if (actual + predicted > 0) f1s.push((2 * tp) / (actual + predicted));
  });
  return f1s.length > 0 ? f1s.reduce((a, b) => a + b, 0) / f1s.length : NaN;
}

export function multiclassLogLoss(y: Labels, probabilities: ArrayLike<number>, classes: number, eps = 1e-7): number {
  check(y, probabilities, classes);
  if (y.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum -= Math.log(Math.min(1 - eps, Math.max(eps, probabilities[i * classes + y[i]])));
  return sum / y.length;
}

/** One-vs-rest ROC AUC per class, averaged over the classes whose AUC is defined. */
export function macroAuc(y: Labels, probabilities: ArrayLike<number>, classes: number): number {
  check(y, probabilities, classes);
  const n = y.length;
  const isClass = new Uint8Array(n);
  const scores = new Float64Array(n);
  let sum = 0;
  let defined = 0;
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < n; i++) {
      isClass[i] = y[i] === k ? 1 : 0;
      scores[i] = probabilities[i * classes + k];
    }
    const auc = rocAuc(isClass, scores);
    if (Number.isFinite(auc)) {
      sum += auc;
      defined++;
    }
  }
  return defined > 0 ? sum / defined : NaN;
}

export function evaluateMulticlass(y: Labels, probabilities: ArrayLike<number>, classes: number): MulticlassMetrics {
  const matrix = confusionMatrix(y, probabilities, classes);
  const right = matrix.reduce((sum, row, k) => sum + row[k], 0);
  return {
    accuracy: y.length > 0 ? right / y.length : NaN,
    macro_f1: macroF1(matrix),
    logloss: multiclassLogLoss(y, probabilities, classes),
    macro_auc: macroAuc(y, probabilities, classes),
    rows: y.length,
  };
}
