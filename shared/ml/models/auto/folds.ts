import type { SplitData } from '../../../data/prepare';
import { seededRandom } from '../../../data/random';

/**
 * The fold of each training row for k-fold cross-validation: rows shuffled by the seed, then, for a
 * class target, dealt class by class in turn, so every fold holds each class in its share (scikit-
 * learn's StratifiedKFold); a regression target is dealt in shuffled order.
 */
export function foldOf(y: Float32Array, n: number, k: number, stratify: boolean, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const dealt = stratify ? Int32Array.from(Array.from(order).sort((a, b) => y[a] - y[b] || 0)) : order;
  const fold = new Int32Array(n);
  for (let at = 0; at < n; at++) fold[dealt[at]] = at % k;
  return fold;
}

/** The rows of `split` whose fold is (or, with `inFold` false, is not) `f`. */
export function foldRows(split: SplitData, fold: Int32Array, f: number, inFold: boolean): SplitData {
  const width = split.n > 0 ? split.X.length / split.n : 0;
  let n = 0;
  for (let i = 0; i < split.n; i++) if ((fold[i] === f) === inFold) n++;
  const X = new Float32Array(n * width);
  const y = new Float32Array(n);
  for (let i = 0, at = 0; i < split.n; i++) {
    if ((fold[i] === f) !== inFold) continue;
    X.set(split.X.subarray(i * width, (i + 1) * width), at * width);
    y[at++] = split.y[i];
  }
  return { X, y, n };
}
