import { MloopError } from '../../core/errors';
import type { TrainingOverrides } from '../../core/events';
import type { DatasetConfig, PromotionConfig } from '../dataset_config';
import type { Task } from '../../data/prepare';
import type { Algorithm } from '../../ml/algorithms';
import type { ThresholdRule } from '../../ml/evaluate';
import { expandSearch, parseSearch, type TrialParams } from '../../ml/search_space';
import { taskMetric, type TaskMetric } from '../../ml/task_metric';
import type { BackendPreference } from '../../ml/tf_backend';

/**
 * What one run trains: its stored plan bound to the task the data told and to the deployment's
 * defaults. The job and `mloop train` both start here.
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

export type TrainingConfig = Pick<
  DatasetConfig,
  'algorithm' | 'epochs' | 'seed' | 'sample' | 'promotion' | 'params' | 'search' | 'unsupervised' | 'target_recall'
>;

/**
 * What a run trains as far as the dataset's config and the training request say, settled once when the
 * run is created and stored on it: the search is expanded here and nowhere else. It leaves out what
 * belongs to the deployment the job runs in (its epoch budget, TensorFlow backend and default sample:
 * the job's environment, not the function's) and what the data decides (the task). Field names are
 * snake_case and absences null, as it is stored on the run document.
 */
export interface RunPlan {
  algorithm: Algorithm;
  /** mloop.json's parameters under the request's; seed and epochs are apart, below. */
  params: Record<string, unknown>;
  /** One trial without overrides when there is no search. */
  trials: TrialParams[];
  /** null: the deployment's budget (MLOOP_TRAIN_EPOCHS), for the networks. */
  epochs: number | null;
  seed: number | null;
  /** null: the deployment's default sample (MLOOP_DEFAULT_SAMPLE), or every row. */
  sample: number | null;
  unsupervised: boolean;
  /** mloop.json's promotion metric: picks a sweep's winner, and later decides promotion. */
  metric: PromotionConfig['metric'];
  target_recall: number | null;
}

export interface PlanDefaults {
  epochs: number;
  backend: BackendPreference;
}

const NETWORKS: ReadonlySet<Algorithm> = new Set(['mlp', 'logistic']);

/** The request wins over mloop.json. Throws (invalid_argument) for a request whose search does not parse or is too large. */
export function resolveRunPlan(config: TrainingConfig, overrides: TrainingOverrides | null | undefined): RunPlan {
  const algorithm = overrides?.algorithm ?? config.algorithm;
  const search = overrides?.search !== undefined ? parseSearch(overrides.search) : config.search;
  return {
    algorithm,
    params: { ...(config.params ?? {}), ...(overrides?.params ?? {}) },
    trials: expandSearch(search),
    epochs: config.epochs ?? null,
    seed: config.seed ?? null,
    sample: config.sample ?? null,
    unsupervised: Boolean(config.unsupervised) && algorithm !== 'isolation_forest',
    metric: config.promotion?.metric ?? 'auc',
    target_recall: config.target_recall ?? null,
  };
}

/** The stored plan, once the data told the task, with the deployment's defaults: what the trainers get. */
export function bindPlan(task: Task, plan: RunPlan, defaults: PlanDefaults): TrainingPlan {
  const { algorithm } = plan;
  if (algorithm === 'isolation_forest' && task !== 'binary') {
    throw new MloopError('invalid_argument', `isolation_forest scores anomalies and is evaluated against a binary target; this target is ${task}`);
  }
  const params: Record<string, unknown> = {
    ...(plan.seed !== null ? { seed: plan.seed } : {}),
    // the deployment's epoch budget and TensorFlow backend are network parameters; trees would refuse them
    ...(NETWORKS.has(algorithm) ? { epochs: plan.epochs ?? defaults.epochs, backend: defaults.backend } : {}),
    ...plan.params,
  };
  return {
    algorithm,
    params,
    trials: plan.trials,
    unsupervised: plan.unsupervised,
    metric: taskMetric(task, plan.metric),
    rule: plan.target_recall === null ? { kind: 'max_f1' } : { kind: 'recall', target: plan.target_recall },
  };
}

/** Both steps at once, for `mloop train`, which has no run to store a plan on. */
export function planTraining(task: Task, config: TrainingConfig, overrides: TrainingOverrides | null | undefined, defaults: PlanDefaults): TrainingPlan {
  return bindPlan(task, resolveRunPlan(config, overrides), defaults);
}
