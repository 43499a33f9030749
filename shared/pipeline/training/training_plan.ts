import { MloopError } from '../../core/errors';
import type { TrainingOverrides } from '../../core/events';
import type { DatasetConfig } from '../dataset_config';
import type { Task } from '../../data/prepare';
import type { Algorithm } from '../../ml/algorithms';
import type { ThresholdRule } from '../../ml/evaluate';
import { expandSearch, parseSearch, type TrialParams } from '../../ml/search_space';
import { taskMetric, type TaskMetric } from '../../ml/task_metric';
import type { BackendPreference } from '../../ml/tf_backend';

/**
 * What one run trains, settled once from mloop.json, the training request (which wins) and the
 * deployment's defaults, after the data told us the task: the job and `mloop train` both start here.
 */
export interface TrainingPlan {
  algorithm: Algorithm;
  /** The run's parameters; a sweep trial's overrides go on top. */
  params: Record<string, unknown>;
  /** One trial without overrides when there is no search. */
  trials: TrialParams[];
  /** Also train an isolation forest, served beside the model. */
  unsupervised: boolean;
  /** Picks the sweep's winner on validation, and later decides promotion. */
  metric: TaskMetric;
  rule: ThresholdRule;
}

export type TrainingConfig = Pick<DatasetConfig, 'algorithm' | 'epochs' | 'seed' | 'promotion' | 'params' | 'search' | 'unsupervised' | 'target_recall'>;

export interface PlanDefaults {
  epochs: number;
  backend: BackendPreference;
}

const NETWORKS: ReadonlySet<Algorithm> = new Set(['mlp', 'logistic']);

export function planTraining(task: Task, config: TrainingConfig, overrides: TrainingOverrides | null | undefined, defaults: PlanDefaults): TrainingPlan {
  const algorithm = overrides?.algorithm ?? config.algorithm;
  if (algorithm === 'isolation_forest' && task !== 'binary') {
    throw new MloopError('invalid_argument', `isolation_forest scores anomalies and is evaluated against a binary target; this target is ${task}`);
  }
  const params: Record<string, unknown> = {
    ...(config.seed !== undefined ? { seed: config.seed } : {}),
    // the deployment's epoch budget and TensorFlow backend are network parameters; trees would refuse them
    ...(NETWORKS.has(algorithm) ? { epochs: config.epochs ?? defaults.epochs, backend: defaults.backend } : {}),
    ...(config.params ?? {}),
    ...(overrides?.params ?? {}),
  };
  const search = overrides?.search ?? config.search;
  const recall = config.target_recall;
  return {
    algorithm,
    params,
    trials: expandSearch(search === undefined ? undefined : parseSearch(search)),
    unsupervised: Boolean(config.unsupervised) && algorithm !== 'isolation_forest',
    metric: taskMetric(task, config.promotion?.metric),
    rule: recall === undefined ? { kind: 'max_f1' } : { kind: 'recall', target: recall },
  };
}
