/** Counts over bins as shares of their total: what the categorical tests, PSI and the report's bars compare. */
export function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += values[k];
  return total;
}

/** All zeros when there is nothing to share. */
export function shares(counts: ArrayLike<number>): Float64Array {
  const total = sum(counts);
  const out = new Float64Array(counts.length);
  if (total > 0) for (let k = 0; k < counts.length; k++) out[k] = counts[k] / total;
  return out;
}
