import type { Random } from '../../../data/random';

/**
 * A bootstrap sample of n rows: `draws` rows drawn with replacement, counts[i] the times row i was
 * drawn (its weight in the tree), inBag[i] whether it was at all. Returns the rows never drawn: the
 * tree's out-of-bag rows (about 37 % of them when draws = n).
 */
export function drawBootstrap(counts: Float32Array, inBag: Uint8Array, draws: number, random: Random): Uint32Array {
  const n = counts.length;
  counts.fill(0);
  for (let d = 0; d < draws; d++) counts[random.int(n)]++;
  let drawn = 0;
  for (let i = 0; i < n; i++) drawn += inBag[i] = counts[i] > 0 ? 1 : 0;
  const out = new Uint32Array(n - drawn);
  for (let i = 0, o = 0; i < n; i++) if (inBag[i] === 0) out[o++] = i;
  return out;
}
