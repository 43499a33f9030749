import { allocateSample } from '../../../data/sample';
import { seededRandom } from '../../../data/random';

/** Each class keeps at least this many rows in a sample (all of them when it has fewer): a rare class still has neighbours to vote. */
const MIN_CLASS_ROWS = 5;

/**
 * The training rows a kNN model stores: all of them when they fit in `size`, otherwise a sample of
 * `size` rows drawn with the seed, stratified on the class (`classes` > 0) so that the stored rows keep
 * the training split's class shares, uniform for a regression (`classes` = 0). In their original order.
 */
export function storedRows(y: Float32Array, n: number, classes: number, size: number, seed: number): Uint32Array {
  if (n <= size) return Uint32Array.from({ length: n }, (_, i) => i);
  const strata = Math.max(classes, 1);
  const members: number[][] = Array.from({ length: strata }, () => []);
  for (let i = 0; i < n; i++) members[classes > 0 ? y[i] : 0].push(i);
  const quota = allocateSample(members.map((m) => m.length), size, MIN_CLASS_ROWS);
  const random = seededRandom(seed);
  const chosen: number[] = [];
  members.forEach((rows, s) => {
    // a partial Fisher–Yates: the first quota[s] of the shuffle are a sample without replacement
    for (let i = 0; i < quota[s]; i++) {
      const j = i + random.int(rows.length - i);
      [rows[i], rows[j]] = [rows[j], rows[i]];
      chosen.push(rows[i]);
    }
  });
  return Uint32Array.from(chosen).sort();
}
