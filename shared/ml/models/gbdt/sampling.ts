import type { Random } from '../../../data/random';

/** The random draws of boosting: features per tree, rows per bag, and the rows the training loss is read on. */

/** Each tree's random share of the binned columns that can split (LightGBM's feature_fraction). */
export function featureSampler(splittable: Int32Array, fraction: number, random: Random): () => Int32Array {
  const take = Math.max(1, Math.round(fraction * splittable.length));
  if (take >= splittable.length) return () => splittable;
  const pool = splittable.slice();
  return () => {
    for (let i = 0; i < take; i++) {
      const j = i + random.int(pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
    }
    return pool.slice(0, take).sort();
  };
}

/** Marks each row of the bag with probability `fraction`; returns the rows left out. */
export function drawBag(inBag: Uint8Array, fraction: number, random: Random): Uint32Array {
  let kept = 0;
  for (let i = 0; i < inBag.length; i++) kept += inBag[i] = random.next() < fraction ? 1 : 0;
  const out = new Uint32Array(inBag.length - kept);
  for (let i = 0, o = 0; i < inBag.length; i++) if (inBag[i] === 0) out[o++] = i;
  return out;
}

/** `size` rows spread evenly over n, or every row when n is no larger. */
export function evenlySpaced(n: number, size: number): Uint32Array {
  const m = Math.min(n, size);
  return Uint32Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
}
