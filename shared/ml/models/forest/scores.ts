import { rocAuc } from '../../metrics';
import type { ObjectiveName } from '../gbdt/objective';

/**
 * What a forest's running sums say of the rows they cover. Sums are class-major [K × n] totals of leaf
 * values; each leaf value is a tree's answer divided by the number of trees, so a row's average over the
 * trees that saw it is its sum × trees ÷ the count of those trees.
 */
const EPS = 1e-15;

/** The probability of row i's label (classification) or its prediction (regression), from its sums. */
function rowAnswer(task: ObjectiveName, sums: Float64Array, n: number, K: number, i: number, scale: number, y: ArrayLike<number>): number {
  if (task !== 'multiclass') return sums[i] * scale;
  let total = 0;
  for (let k = 0; k < K; k++) total += sums[k * n + i];
  return total > 0 ? sums[y[i] * n + i] / total : 0;
}

/** Mean logloss (probabilities clipped to 1e-15) or squared error over `rows`, each averaged by `scale`. */
export function averagedLoss(task: ObjectiveName, sums: Float64Array, n: number, K: number, y: ArrayLike<number>, rows: ArrayLike<number>, scale: number): number {
  let sum = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const answer = rowAnswer(task, sums, n, K, i, scale, y);
    if (task === 'regression') sum += (answer - y[i]) ** 2;
    else {
      const p = task === 'binary' && y[i] === 0 ? 1 - answer : answer;
      sum -= Math.log(Math.min(1 - EPS, Math.max(EPS, p)));
    }
  }
  return sum / rows.length;
}

/**
 * scikit-learn's oob_score_ — accuracy for classification, R² for regression — over the rows that were
 * out of the bag of at least one tree; binary adds the out-of-bag ROC AUC. `votes[i]`: those trees.
 */
export function outOfBagMetrics(task: ObjectiveName, sums: Float64Array, votes: Uint32Array, n: number, K: number, y: ArrayLike<number>, trees: number): Record<string, number> {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (votes[i] > 0) rows.push(i);
  if (rows.length === 0) return {};
  const answers = rows.map((i) => {
    if (task !== 'multiclass') return (sums[i] * trees) / votes[i];
    let best = 0;
    for (let k = 1; k < K; k++) if (sums[k * n + i] > sums[best * n + i]) best = k;
    return best;
  });
  const labels = rows.map((i) => y[i]);
  if (task === 'regression') {
    const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
    let residual = 0;
    let total = 0;
    labels.forEach((v, k) => {
      residual += (v - answers[k]) ** 2;
      total += (v - mean) ** 2;
    });
    return { oob_score: total > 0 ? 1 - residual / total : 0 };
  }
  const predicted = task === 'binary' ? answers.map((p) => (p > 0.5 ? 1 : 0)) : answers;
  const accuracy = predicted.filter((c, k) => c === labels[k]).length / rows.length;
  const auc = task === 'binary' ? rocAuc(labels, answers) : NaN;
  return Number.isFinite(auc) ? { oob_score: accuracy, oob_auc: auc } : { oob_score: accuracy };
}
