/**
 * The reliability curve (mean predicted probability against the share of positives, per bin of equal
 * width) and the expected calibration error: the bins' |share − mean score| weighted by their rows.
 */
export interface ReliabilityBin {
  /** Lower edge of the bin, in [0, 1). */
  from: number;
  to: number;
  rows: number;
  mean_score: number;
  positive_rate: number;
}

export const RELIABILITY_BINS = 10;

export function reliability(labels: ArrayLike<number>, scores: ArrayLike<number>, bins = RELIABILITY_BINS): { bins: ReliabilityBin[]; ece: number } {
  const rows = new Float64Array(bins);
  const scoreSum = new Float64Array(bins);
  const positives = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(scores[i] * bins)));
    rows[b]++;
    scoreSum[b] += scores[i];
    positives[b] += labels[i] === 1 ? 1 : 0;
  }
  const out: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (rows[b] === 0) continue;
    const mean = scoreSum[b] / rows[b];
    const rate = positives[b] / rows[b];
    ece += (rows[b] / Math.max(labels.length, 1)) * Math.abs(rate - mean);
    out.push({ from: b / bins, to: (b + 1) / bins, rows: rows[b], mean_score: mean, positive_rate: rate });
  }
  return { bins: out, ece };
}
