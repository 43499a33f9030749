import type { TrainingOverrides } from '../../core/events';
import type { DatasetConfig } from '../dataset_config';
import type { Task } from '../../data/prepare';
import type { ThresholdRule } from '../../ml/evaluate';
import { expandSearch, parseSearch, type TrialParams } from '../../ml/search_space';
import { taskMetric, type TaskMetric } from '../../ml/task_metric';
import { checkTarget } from '../../ml/models/family';
import type { BackendPreference } from '../../ml/models/network/tf_backend';
import { family } from '../../ml/models/registry';

/**
 * What one run trains, settled once from mloop.json, the training request (which wins) and the
 * deployment's defaults, after the data told us the task: the job and `mloop train` both start here.
 */
export interface TrainingPlan {
  /** A known family's name. */
  algorithm: string;
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

export function planTraining(task: Task, config: TrainingConfig, overrides: TrainingOverrides | null | undefined, defaults: PlanDefaults): TrainingPlan {
  // a request's algorithm is checked here, where the families are known: events only carry its name
  const chosen = family(overrides?.algorithm ?? config.algorithm);
  const algorithm = chosen.name;
  checkTarget(chosen, task);
  const params: Record<string, unknown> = {
    ...(config.seed !== undefined ? { seed: config.seed } : {}),
    // the deployment's epoch budget and TensorFlow backend go only to the families that take them; others would refuse them
    ...(chosen.takesEpochs ? { epochs: config.epochs ?? defaults.epochs } : {}),
    ...(chosen.takesBackend ? { backend: defaults.backend } : {}),
    ...(config.params ?? {}),
    ...(overrides?.params ?? {}),
  };
  const search = overrides?.search ?? config.search;
  const recall = config.target_recall;
  return {
    algorithm,
    params,
    trials: expandSearch(search === undefined ? undefined : parseSearch(search)),
    // an unsupervised model is itself the anomaly score
    unsupervised: Boolean(config.unsupervised) && chosen.supervised,
    metric: taskMetric(task, config.promotion?.metric),
    rule: recall === undefined ? { kind: 'max_f1' } : { kind: 'recall', target: recall },
  };
}
