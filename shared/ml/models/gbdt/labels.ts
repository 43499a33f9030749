import { MloopError } from '../../../core/errors';
import type { ObjectiveName } from './objective';

/** A split's targets as the trainer reads them: 0/1, a class index, or a value. */
export interface LabelledSplit {
  y: ArrayLike<number>;
  n: number;
}

/** Classes of a multiclass task: the names given, or as many as the labels need; 1 otherwise. */
export function numClassOf(task: ObjectiveName, classes: readonly string[] | null | undefined, splits: LabelledSplit[]): number {
  if (task !== 'multiclass') return 1;
  let K = classes?.length ?? 0;
  for (const split of splits) for (let i = 0; i < split.n; i++) K = Math.max(K, split.y[i] + 1);
  if (K < 3) throw new MloopError('invalid_argument', `multiclass training needs at least 3 classes, got ${K}`);
  return K;
}

/** The labels as float32, each checked against the task: a bad one is named rather than trained on. */
export function labelsOf(split: LabelledSplit, task: ObjectiveName, K: number): Float32Array {
  const y = Float32Array.from({ length: split.n }, (_, i) => split.y[i]);
  checkLabels(y, task, K);
  return y;
}

/** Throws on the first label (as float32) that is no valid target of the task. */
export function checkLabels(y: Float32Array, task: ObjectiveName, K: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    const ok = task === 'regression' ? Number.isFinite(v) : Number.isInteger(v) && v >= 0 && v < (task === 'binary' ? 2 : K);
    if (!ok) throw new MloopError('invalid_argument', `label of row ${i} is ${v}, not a valid ${task} target`);
  }
}
