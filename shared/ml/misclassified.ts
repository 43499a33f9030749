import type { Labels } from './metrics';

/**
 * The test images a classifier got wrong that a person should look at first: the most confident
 * mistakes, which say more about the model (or the labels) than the near misses.
 */
export interface Misclassified {
  /** Row of the test split (and of the holdout file). */
  row: number;
  /** The true class. */
  label: string;
  predicted: string;
  /** The probability the model gave its (wrong) prediction. */
  confidence: number;
}

/** Enough for a grid on one screen, and few enough that the version folder stays small. */
export const MAX_MISCLASSIFIED = 32;

/** Probabilities row-major [n × K]; the most confident mistakes first, ties in row order. */
export function pickMisclassified(y: Labels, probabilities: ArrayLike<number>, classes: readonly string[], limit = MAX_MISCLASSIFIED): Misclassified[] {
  const K = classes.length;
  if (probabilities.length !== y.length * K) throw new RangeError(`${y.length} labels of ${K} classes need ${y.length * K} probabilities, got ${probabilities.length}`);
  const wrong: Misclassified[] = [];
  for (let row = 0; row < y.length; row++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probabilities[row * K + k] > probabilities[row * K + best]) best = k;
    if (best !== y[row]) wrong.push({ row, label: classes[y[row]], predicted: classes[best], confidence: probabilities[row * K + best] });
  }
  return wrong.sort((a, b) => b.confidence - a.confidence || a.row - b.row).slice(0, Math.max(0, limit));
}
