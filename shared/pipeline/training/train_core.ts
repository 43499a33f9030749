import type { PreparedData } from '../../data/prepare';
import { calibrateFitted, type CalibrationRecord } from '../../ml/calibration/calibrate_fitted';
import { evaluate, type Evaluation } from '../../ml/evaluate';
import { fit, type Fitted } from '../../ml/fit';
import { fitErrorModel, type ErrorModelFile } from '../../ml/error_model';
import { prAuc, rocAuc } from '../../ml/metrics';
import { runSweep, type SweepOptions, type TrialRecord } from '../../ml/sweep';
import type { RunProgress } from '../store/documents';
import { isClustering } from '../../ml/models/family';
import { ANOMALY_DETECTOR, family } from '../../ml/models/registry';
import type { TrainingPlan } from './training_plan';

/**
 * The training core that the train job and `mloop train` share: train the plan's trials and keep the
 * best on validation, evaluate it on the test split, and train the anomaly detector beside it when
 * asked. No documents, buckets or events here; the callers add those around it.
 */
export interface Candidate {
  fitted: Fitted;
  evaluation: Evaluation;
  /** Every trial of the sweep, the winner's included; one when there was no search. */
  trials: TrialRecord[];
  /** The winner's trial number. */
  bestTrial: number;
  anomaly: { fitted: Fitted; metrics: Record<string, number> } | null;
  /** A binary classifier's calibration on validation (folded into `fitted`); null for other tasks and families. */
  calibration: CalibrationRecord | null;
  /** A regression's error model (Direct Loss Estimation, ml/error_model.ts), learnt on validation; absent otherwise. */
  errorModel?: ErrorModelFile | null;
}

export interface Parallelism {
  /** Trials at once; 1 trains in this thread. */
  workers: number;
  workerScript: string;
}

export type ProgressSink = (progress: RunProgress) => void | Promise<void>;

/** The sweep of a plan, its progress in the run document's shape. */
export function sweepOf(plan: TrainingPlan, onProgress?: ProgressSink): Omit<SweepOptions, keyof Parallelism> {
  const unit = family(plan.algorithm).progressUnit;
  return {
    algorithm: plan.algorithm,
    params: plan.params,
    trials: plan.trials,
    metric: plan.metric,
    onProgress: (p) => onProgress?.({ unit, ...p }),
  };
}

export async function trainCandidate(data: PreparedData, plan: TrainingPlan, parallelism: Parallelism, onProgress?: ProgressSink): Promise<Candidate> {
  const { records, best } = await runSweep(data, { ...sweepOf(plan, onProgress), ...parallelism });
  return completeCandidate(data, plan, best.fitted, records, best.record.trial);
}

/** From the chosen model on: what a sweep's finishing task does too, with the trials of every task. */
export async function completeCandidate(data: PreparedData, plan: TrainingPlan, trained: Fitted, trials: TrialRecord[], bestTrial: number): Promise<Candidate> {
  // the family that trained it: auto's winner, not auto
  const chosen = family(trained.algorithm);
  // calibrated once, the winner only: the sweep chose by ranking, which calibration does not change much
  let calibration: CalibrationRecord | null = null;
  let fitted = trained;
  if (data.task === 'binary' && chosen.supervised) {
    const skip = chosen.selfCalibrated ? `${chosen.name} calibrates its own margins (a Platt sigmoid fitted on validation)` : null;
    ({ fitted, record: calibration } = calibrateFitted(trained, { validation: data.validation.y, test: data.test.y }, plan.calibration, skip));
  }
  // a clustering has no target to be tested on: it is judged on itself (inertia, silhouette), below
  const evaluation: Evaluation = isClustering(chosen)
    ? { metrics: {}, threshold: null, curves: {} }
    : evaluate(
        data.task,
        data.classes,
        { y: data.validation.y, predicted: fitted.predictions.validation },
        { y: data.test.y, predicted: fitted.predictions.test },
        { rule: plan.rule, probabilities: chosen.supervised },
      );
  // what the family measured on the model itself (a forest's out-of-bag score, a kmeans' inertia, the rows a knn stored) goes beside its test metrics
  Object.assign(evaluation.metrics, fitted.metrics ?? {});
  let anomaly: Candidate['anomaly'] = null;
  if (plan.unsupervised) {
    const forest = await fit(ANOMALY_DETECTOR.name, data, plan.params.seed === undefined ? {} : { seed: plan.params.seed });
    // an anomaly score ranks rows; against a binary target it is judged as a fraud score would be
    const metrics: Record<string, number> =
      data.task === 'binary' ? { anomaly_auc: rocAuc(data.test.y, forest.predictions.test), anomaly_pr_auc: prAuc(data.test.y, forest.predictions.test) } : {};
    anomaly = { fitted: forest, metrics };
    Object.assign(evaluation.metrics, metrics);
  }
  // where the model errs, learnt from its validation errors: what the monitoring tick estimates the served error with
  const errorModel = isClustering(chosen) ? null : await fitErrorModel(data, fitted.predictions);
  return { fitted, evaluation, trials, bestTrial, anomaly, calibration, errorModel };
}
