/**
 * A seeded PRNG so that splits, synthetic data and weight initialisation repeat exactly for a seed.
 * mulberry32: 32 bits of state, fast, and statistically good enough for sampling and shuffling.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Standard normal. */
  normal(): number;
}

export function seededRandom(seed: number): Random {
  // splitmix-style scramble so that nearby seeds (1, 2, 3…) start far apart in the sequence
  let state = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  return {
    next,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    normal() {
      if (spare !== null) {
        const value = spare;
        spare = null;
        return value;
      }
      // Box–Muller yields two independent normals; keeping the second halves the cost
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** In-place Fisher–Yates, driven by the given generator. */
export function shuffleInPlace(values: Uint32Array, random: Random): Uint32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
  return values;
}
