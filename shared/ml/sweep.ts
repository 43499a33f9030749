import { fit, type FitData, type Fitted } from './fit';
import type { TrialParams } from './search_space';
import { isBetter, measure, type TaskMetric } from './task_metric';
import type { TrainProgress } from './trained_model';
import { fitInWorkers } from './trial_pool';

/**
 * Runs trials of a sweep — all of them, or one task's share — and keeps the best on validation. Each
 * trial is recorded; only the best model stays in memory. With more than one worker the trials run in
 * worker threads, in parallel, on the same data.
 */
export interface TrialRecord {
  trial: number;
  /** The trial's overrides, on top of the run's parameters. */
  params: TrialParams;
  metric: string;
  /** On validation; null when undefined there. */
  value: number | null;
  best_iteration: number;
  seconds: number;
  /** Which worker thread trained it (0 is the calling thread). */
  worker: number;
}

export type SweepProgress = TrainProgress & { trial: number; trials: number };

export interface SweepOptions {
  /** The family's name. */
  algorithm: string;
  /** The run's parameters; a trial's overrides win. */
  params: Record<string, unknown>;
  trials: TrialParams[];
  /** The trials to run here; all by default. */
  indices?: number[];
  metric: TaskMetric;
  /** 1 trains in this thread. */
  workers: number;
  workerScript: string;
  onProgress?: (progress: SweepProgress) => void | Promise<void>;
}

export interface SweepResult {
  records: TrialRecord[];
  best: { record: TrialRecord; fitted: Fitted };
}

export type TrialDone = { trial: number; fitted: Fitted; seconds: number; worker: number };

function recordOf(options: Pick<SweepOptions, 'trials' | 'metric'>, data: FitData, done: TrialDone): TrialRecord {
  // a metric the model measured on itself (a clustering's silhouette) is taken as it reported it
  const value = done.fitted.metrics?.[options.metric.name] ?? measure(options.metric, data.validation.y, done.fitted.predictions.validation, data.classes?.length ?? 0);
  return {
    trial: done.trial,
    params: options.trials[done.trial],
    metric: options.metric.name,
    value: Number.isFinite(value) ? value : null,
    best_iteration: done.fitted.bestIteration,
    seconds: done.seconds,
    worker: done.worker,
  };
}

/** Better on the metric; on a tie the lower trial number, so that any split of the trials picks the same one. */
export function beats(metric: TaskMetric, a: TrialRecord, b: TrialRecord): boolean {
  const x = a.value ?? NaN;
  const y = b.value ?? NaN;
  if (isBetter(metric, x, y)) return true;
  if (isBetter(metric, y, x)) return false;
  return a.trial < b.trial;
}

export async function runSweep(data: FitData, options: SweepOptions): Promise<SweepResult> {
  const indices = options.indices ?? options.trials.map((_, i) => i);
  if (indices.length === 0) throw new RangeError('a sweep needs at least one trial');
  const records: TrialRecord[] = [];
  let best: SweepResult['best'] | null = null;
  const keep = (done: TrialDone) => {
    const record = recordOf(options, data, done);
    records.push(record);
    if (!best || beats(options.metric, record, best.record)) best = { record, fitted: done.fitted };
  };
  const progress = (trial: number) => (p: TrainProgress) => options.onProgress?.({ ...p, trial, trials: options.trials.length });
  const paramsOf = (trial: number) => ({ ...options.params, ...options.trials[trial] });

  if (options.workers > 1 && indices.length > 1) {
    await fitInWorkers(data, { ...options, indices, paramsOf, progress }, keep);
  } else {
    for (const trial of indices) {
      const started = performance.now();
      const fitted = await fit(options.algorithm, data, paramsOf(trial), progress(trial));
      keep({ trial, fitted, seconds: (performance.now() - started) / 1000, worker: 0 });
    }
  }
  records.sort((a, b) => a.trial - b.trial);
  return { records, best: best! };
}
