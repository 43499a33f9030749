import type { TrainedModel } from './trained_model';

/**
 * How a training ended, as the run keeps it once it is done: the last progress a trainer reports is
 * throttled, and one that stops early never reports its budget's last iteration, so a finished run's
 * progress alone would read "epoch 1/30". Units are the family's (epochs, or rounds and trees).
 */
export interface TrainingEnd {
  unit: 'epoch' | 'iteration';
  /** Iterations trained. */
  iterations: number;
  /** The budget; null when the trainer does not say (then it cannot tell an early stop either). */
  max_iterations: number | null;
  /** 1-based: the model kept is the one of this iteration. */
  best_iteration: number;
  /** Ended before its budget (no improvement on validation for `patience` or `early_stopping_rounds`, or a diverging loss). */
  stopped_early: boolean;
}

export function trainingEnd(model: Pick<TrainedModel, 'history' | 'bestIteration' | 'maxIterations'>, unit: TrainingEnd['unit']): TrainingEnd {
  const max = model.maxIterations ?? null;
  // a forest reports no loss per tree: it grew its whole budget
  const iterations = model.history.length ? Math.max(...model.history.map((h) => h.iteration)) : (max ?? model.bestIteration);
  return { unit, iterations, max_iterations: max, best_iteration: model.bestIteration, stopped_early: max !== null && iterations < max };
}
