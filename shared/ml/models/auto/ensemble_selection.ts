import { isBetter, measure, type TaskMetric } from '../../task_metric';

/**
 * Caruana et al.'s greedy ensemble selection (2004), as auto-sklearn builds its ensemble: starting empty,
 * each round adds (with replacement) the candidate whose addition gives the best score of the averaged
 * predictions; the ensemble kept is the best seen over the rounds, the earliest on a tie (the smallest),
 * so a blend is kept only where it scores better than the best candidate alone. A candidate's weight is
 * the share of rounds that picked it — coarse on purpose (1/rounds), which is what keeps the selection
 * from fitting the noise of the rows it is measured on.
 *
 * `predictions[c]`: candidate c's predictions on the same rows (n, or n × K probabilities), all scored
 * against `y` by `metric`.
 */
export interface EnsembleSelection {
  /** One per candidate, summing to 1; 0 for a candidate never picked. */
  weights: number[];
  /** The kept ensemble's score. */
  value: number;
  /** The first round's: the best candidate alone. */
  single: { index: number; value: number };
  rounds: number;
}

export const ENSEMBLE_ROUNDS = 25;

export function ensembleSelection(predictions: Float32Array[], y: ArrayLike<number>, metric: TaskMetric, classes: number, rounds = ENSEMBLE_ROUNDS): EnsembleSelection {
  const length = predictions[0].length;
  const sum = new Float64Array(length);
  const trial = new Float32Array(length);
  const counts = new Array<number>(predictions.length).fill(0);
  let best: { counts: number[]; value: number } | null = null;
  let single: EnsembleSelection['single'] | null = null;
  for (let round = 1; round <= rounds; round++) {
    let pick = -1;
    let pickValue = NaN;
    for (let c = 0; c < predictions.length; c++) {
      const p = predictions[c];
      for (let i = 0; i < length; i++) trial[i] = (sum[i] + p[i]) / round;
      const value = measure(metric, y, trial, classes);
      if (!Number.isFinite(value)) continue;
      // on a tie the earlier candidate: the list is in order of preference
      if (pick < 0 || isBetter(metric, value, pickValue)) {
        pick = c;
        pickValue = value;
      }
    }
    if (pick < 0) break;
    const p = predictions[pick];
    for (let i = 0; i < length; i++) sum[i] += p[i];
    counts[pick]++;
    if (round === 1) single = { index: pick, value: pickValue };
    if (!best || isBetter(metric, pickValue, best.value)) best = { counts: [...counts], value: pickValue };
  }
  if (!best || !single) throw new Error('ensemble selection: no candidate has a defined score on these rows');
  const total = best.counts.reduce((a, b) => a + b, 0);
  return { weights: best.counts.map((c) => c / total), value: best.value, single, rounds };
}
