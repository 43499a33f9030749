import { MloopError } from '../core/errors';
import { seededRandom, shuffleInPlace } from './random';

/**
 * Train / validation / test row indices: stratified by label so that a rare positive class appears in
 * every split in the same proportion, and deterministic for a seed so that a rerun sees the same holdout;
 * or by time.
 */
export interface SplitFractions {
  train: number;
  validation: number;
  test: number;
}

export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

const SPLITS = ['train', 'validation', 'test'] as const;
/** A row no split took (allocate hands out every row; this is for safety). */
const NONE = 3;

/**
 * How many of `count` rows of one class go to each split: largest remainder, then at least one row per
 * split that asks for any, when the class has enough rows, so that no split lacks a class.
 */
function allocate(count: number, fractions: SplitFractions): number[] {
  const exact = SPLITS.map((s) => count * fractions[s]);
  const sizes = exact.map(Math.floor);
  const order = [0, 1, 2].sort((a, b) => exact[b] - sizes[b] - (exact[a] - sizes[a]) || a - b);
  for (let k = 0, left = count - sizes[0] - sizes[1] - sizes[2]; left > 0; k++, left--) sizes[order[k % 3]]++;
  const wanting = [0, 1, 2].filter((s) => fractions[SPLITS[s]] > 0);
  if (count >= wanting.length) {
    for (const s of wanting) {
      if (sizes[s] > 0) continue;
      const donor = wanting.reduce((best, d) => (sizes[d] > sizes[best] ? d : best), wanting[0]);
      sizes[donor]--;
      sizes[s]++;
    }
  }
  return sizes;
}

function checkFractions(fractions: SplitFractions): void {
  const total = fractions.train + fractions.validation + fractions.test;
  if (SPLITS.some((s) => !(fractions[s] >= 0)) || Math.abs(total - 1) > 1e-9) {
    throw new MloopError('invalid_argument', `split fractions must be non-negative and sum to 1, got ${JSON.stringify(fractions)}`);
  }
}

export function stratifiedSplit(
  labels: ArrayLike<number>,
  fractions: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 },
  seed = 42,
): Split {
  checkFractions(fractions);
  // typed arrays throughout: at 6 M rows, arrays of numbers per class and per split (pushed, then
  // copied and sorted) were the data preparation's largest passing allocation, about 300 MB
  const n = labels.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const classOf = new Map(classes.map((label, c) => [label, c]));
  // the rows of each class, in file order, side by side in one array
  const starts = new Uint32Array(classes.length + 1);
  classes.forEach((label, c) => (starts[c + 1] = starts[c] + counts.get(label)!));
  const byClass = new Uint32Array(n);
  const filled = starts.slice(0, classes.length);
  for (let i = 0; i < n; i++) byClass[filled[classOf.get(labels[i])!]++] = i;
  // each row's split (0, 1, 2), read back in ascending row order: what sorting each split's rows gave
  const splitOf = new Uint8Array(n).fill(NONE);
  const sizes = [0, 0, 0];
  const random = seededRandom(seed);
  classes.forEach((_, c) => {
    const rows = shuffleInPlace(byClass.subarray(starts[c], starts[c + 1]), random);
    let start = 0;
    allocate(rows.length, fractions).forEach((size, s) => {
      for (let k = start; k < start + size; k++) splitOf[rows[k]] = s;
      sizes[s] += size;
      start += size;
    });
  });
  const [train, validation, test] = sizes.map((size) => new Uint32Array(size));
  const parts = [train, validation, test];
  const at = [0, 0, 0];
  for (let i = 0; i < n; i++) if (splitOf[i] !== NONE) parts[splitOf[i]][at[splitOf[i]]++] = i;
  return { train, validation, test };
}

/**
 * Rows by time: the oldest `train` share for training, the next for validation, the latest for test, so
 * that a model is judged on data newer than what it learnt from. Ties keep file order.
 */
export function timeSplit(times: ArrayLike<number>, fractions: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 }): Split {
  checkFractions(fractions);
  const n = times.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  const trainEnd = Math.round(n * fractions.train);
  const validationEnd = trainEnd + Math.round(n * fractions.validation);
  const part = (from: number, to: number) => order.slice(from, Math.min(to, n)).sort();
  return { train: part(0, trainEnd), validation: part(trainEnd, validationEnd), test: part(validationEnd, n) };
}
