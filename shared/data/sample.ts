import { seededRandom, type Random } from './random';

/**
 * A sample of a stream drawn in one pass, in memory bounded by the sample: a reservoir per stratum
 * (class), each sized up front from the class counts of the validation pass, so that the sample keeps
 * the file's class proportions exactly and a rare class is not left to chance.
 */

/**
 * Rows per stratum for a sample of `size` from strata of the given counts: proportional by largest
 * remainder, then at least `minimum` of each stratum that has them, taken from the largest.
 */
export function allocateSample(counts: readonly number[], size: number, minimum: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (size >= total) return [...counts];
  const exact = counts.map((c) => (c * size) / total);
  const quota = exact.map(Math.floor);
  const order = counts.map((_, s) => s).sort((a, b) => exact[b] - quota[b] - (exact[a] - quota[a]) || a - b);
  for (let k = 0, left = size - quota.reduce((a, b) => a + b, 0); left > 0; k++, left--) quota[order[k]]++;
  counts.forEach((count, s) => {
    const floor = Math.min(count, minimum);
    while (quota[s] < floor) {
      const donor = quota.reduce((best, q, d) => (q - Math.min(counts[d], minimum) > quota[best] - Math.min(counts[best], minimum) ? d : best), 0);
      if (quota[donor] <= Math.min(counts[donor], minimum)) return;
      quota[donor]--;
      quota[s]++;
    }
  });
  return quota;
}

/** Algorithm R per stratum; the slots of stratum s are [offset[s], offset[s] + quota[s]). */
export class StratifiedReservoir {
  private readonly offsets: number[];
  private readonly seen: Float64Array;
  private readonly random: Random;
  readonly size: number;

  constructor(
    private readonly quota: readonly number[],
    seed: number,
  ) {
    let at = 0;
    this.offsets = quota.map((q) => {
      const offset = at;
      at += q;
      return offset;
    });
    this.size = at;
    this.seen = new Float64Array(quota.length);
    this.random = seededRandom(seed);
  }

  /** The slot the next row of this stratum takes, replacing what was there, or -1 when it is not sampled. */
  offer(stratum: number): number {
    const t = this.seen[stratum]++;
    const q = this.quota[stratum];
    if (t < q) return this.offsets[stratum] + t;
    const j = this.random.int(t + 1);
    return j < q ? this.offsets[stratum] + j : -1;
  }
}
