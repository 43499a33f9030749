import type { TrainingOverrides } from '../../core/events';
import type { DatasetConfig, PromotionConfig } from '../dataset_config';
import type { Task } from '../../data/prepare';
import type { CalibrationSetting } from '../../ml/calibration/calibrator';
import type { ThresholdRule } from '../../ml/evaluate';
import { checkTarget, isClustering } from '../../ml/models/family';
import type { BackendPreference } from '../../ml/models/network/tf_backend';
import { family } from '../../ml/models/registry';
import { expandSearch, parseSearch, type TrialParams } from '../../ml/search_space';
import { CLUSTERING_METRIC, taskMetric, type TaskMetric } from '../../ml/task_metric';

/**
 * What one run trains: its stored plan bound to the task the data told and to the deployment's
 * defaults. The job and `mloop train` both start here.
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
  /** A binary classifier's calibration on validation (mloop.json `calibration`). */
  calibration: CalibrationSetting;
}

export type TrainingConfig = Pick<
  DatasetConfig,
  'algorithm' | 'epochs' | 'seed' | 'sample' | 'promotion' | 'params' | 'search' | 'unsupervised' | 'target_recall' | 'calibration'
>;

/**
 * What a run trains as far as the dataset's config and the training request say, settled once when the
 * run is created and stored on it: the search is expanded here and nowhere else. It leaves out what
 * belongs to the deployment the job runs in (its epoch budget, TensorFlow backend and default sample:
 * the job's environment, not the function's) and what the data decides (the task). Field names are
 * snake_case and absences null, as it is stored on the run document.
 */
export interface RunPlan {
  /** A known family's name, checked when the run is created. */
  algorithm: string;
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
  /** Absent on runs planned before calibration: those calibrate as `auto` does. */
  calibration?: CalibrationSetting;
}

export interface PlanDefaults {
  epochs: number;
  backend: BackendPreference;
}

/** The request wins over mloop.json. Throws (invalid_argument) for a request whose search does not parse or is too large. */
export function resolveRunPlan(config: TrainingConfig, overrides: TrainingOverrides | null | undefined): RunPlan {
  // a request's algorithm is checked here, where the families are known: events only carry its name
  const chosen = family(overrides?.algorithm ?? config.algorithm);
  const algorithm = chosen.name;
  const search = overrides?.search !== undefined ? parseSearch(overrides.search) : config.search;
  return {
    algorithm,
    params: { ...(config.params ?? {}), ...(overrides?.params ?? {}) },
    trials: expandSearch(search),
    epochs: config.epochs ?? null,
    seed: config.seed ?? null,
    sample: overrides?.sample ?? config.sample ?? null,
    // an unsupervised model is itself the anomaly score
    unsupervised: Boolean(config.unsupervised) && chosen.supervised,
    metric: config.promotion?.metric ?? 'auc',
    target_recall: config.target_recall ?? null,
    calibration: config.calibration ?? 'auto',
  };
}

/** The stored plan, once the data told the task, with the deployment's defaults: what the trainers get. */
export function bindPlan(task: Task, plan: RunPlan, defaults: PlanDefaults): TrainingPlan {
  const chosen = family(plan.algorithm);
  const algorithm = chosen.name;
  checkTarget(chosen, task);
  // a clustering has no target: it is judged on its silhouette, whatever promotion.metric says
  const metric = isClustering(chosen) ? CLUSTERING_METRIC : taskMetric(task, plan.metric);
  const params: Record<string, unknown> = {
    ...(plan.seed !== null ? { seed: plan.seed } : {}),
    // the deployment's epoch budget and TensorFlow backend go only to the families that take them; others would refuse them
    ...(chosen.takesEpochs ? { epochs: plan.epochs ?? defaults.epochs } : {}),
    ...(chosen.takesBackend ? { backend: defaults.backend } : {}),
    // a family that chooses among models (auto) chooses by what promotion will judge
    ...(chosen.takesMetric ? { metric: metric.name } : {}),
    ...plan.params,
  };
  return {
    algorithm,
    params,
    trials: plan.trials,
    unsupervised: plan.unsupervised,
    metric,
    rule: plan.target_recall === null ? { kind: 'max_f1' } : { kind: 'recall', target: plan.target_recall },
    calibration: plan.calibration ?? 'auto',
  };
}

/** Both steps at once, for `mloop train`, which has no run to store a plan on. */
export function planTraining(task: Task, config: TrainingConfig, overrides: TrainingOverrides | null | undefined, defaults: PlanDefaults): TrainingPlan {
  return bindPlan(task, resolveRunPlan(config, overrides), defaults);
}
