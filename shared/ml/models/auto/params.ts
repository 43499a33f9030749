import { MloopError } from '../../../core/errors';
import { NETWORK_DEFAULTS } from '../network/params';
import type { BackendPreference } from '../network/tf_backend';
import { checkParams } from '../params';

/**
 * What `auto` takes: the portfolio, its time budget, the metric it picks by (the run's promotion metric,
 * which the plan hands over), and what it passes on to the candidates that take it (seed, the
 * networks' epoch budget and backend).
 */
export type AutoParams = {
  /** Families tried, in this order; a name the registry does not hold is skipped, with the reason recorded. */
  candidates: string[];
  /** Wall-clock seconds for the whole portfolio; 0 scales it with the training rows (autoBudgetSeconds). */
  time_budget_s: number;
  /** The mlp is tried only from this many training rows: below, it loses to trees and costs the most time. */
  mlp_min_rows: number;
  /**
   * Below cv_max_rows training rows, candidates are also measured by cv_folds-fold cross-validation on
   * the training rows, and chosen by the mean of the folds and the validation split: one validation
   * split of a few hundred rows is too noisy to choose by (on 1 000-row data the choice it made was
   * 0.02 AUC short of the best on test). cv_folds 0 or 1: validation alone.
   */
  cv_folds: number;
  cv_max_rows: number;
  /**
   * Whether the trained candidates are also blended (greedy ensemble selection, ensemble_selection.ts,
   * over blend_rounds rounds): the blend is served when it holds two candidates or more, which it does
   * only when it scores better than the best one alone on the rows it is chosen on.
   */
  blend: boolean;
  blend_rounds: number;
  /** "auto": the task's promotion default (AUC, macro AUC, RMSE); otherwise a metric of task_metric.ts. */
  metric: string;
  seed: number;
  epochs: number;
  backend: BackendPreference;
};

export const AUTO_DEFAULTS: AutoParams = {
  candidates: ['gbdt', 'linear', 'random_forest', 'mlp'],
  time_budget_s: 0,
  mlp_min_rows: 10_000,
  cv_folds: 5,
  cv_max_rows: 20_000,
  blend: true,
  blend_rounds: 25,
  metric: 'auto',
  seed: 42,
  epochs: NETWORK_DEFAULTS.epochs,
  backend: NETWORK_DEFAULTS.backend,
};

/**
 * The default budget: a minute, plus a second per thousand training rows, at most an hour. gbdt trains
 * 700 000 rows in about 10 s and the mlp in about 40 s on two cores, so the portfolio fits with room
 * for a busy machine; the budget is a bound, not a target — small data finishes in seconds.
 */
export function autoBudgetSeconds(trainRows: number): number {
  return Math.min(3600, 60 + Math.ceil(trainRows / 1000));
}

/** Whether `auto` cross-validates on this many training rows. */
export function crossValidates(p: Pick<AutoParams, 'cv_folds' | 'cv_max_rows'>, trainRows: number): boolean {
  return p.cv_folds >= 2 && trainRows < p.cv_max_rows && trainRows >= 2 * p.cv_folds;
}

export function resolveAutoParams(given: Record<string, unknown>): AutoParams {
  const p = checkParams('auto', AUTO_DEFAULTS, given);
  const problems: string[] = [];
  if (!Array.isArray(p.candidates) || p.candidates.length === 0 || !p.candidates.every((c) => typeof c === 'string' && c.length > 0)) {
    problems.push(`candidates must be a non-empty list of family names, got ${JSON.stringify(p.candidates)}`);
  } else if (new Set(p.candidates).size !== p.candidates.length) {
    problems.push(`candidates lists a family twice: ${JSON.stringify(p.candidates)}`);
  }
  if (typeof p.time_budget_s !== 'number' || !Number.isFinite(p.time_budget_s) || p.time_budget_s < 0) {
    problems.push(`time_budget_s must be a non-negative number of seconds (0: scaled with the rows), got ${JSON.stringify(p.time_budget_s)}`);
  }
  if (!Number.isInteger(p.mlp_min_rows) || p.mlp_min_rows < 0) problems.push(`mlp_min_rows must be a non-negative integer, got ${JSON.stringify(p.mlp_min_rows)}`);
  if (!Number.isInteger(p.cv_folds) || p.cv_folds < 0) problems.push(`cv_folds must be a non-negative integer (0 or 1: no cross-validation), got ${JSON.stringify(p.cv_folds)}`);
  if (!Number.isInteger(p.cv_max_rows) || p.cv_max_rows < 0) problems.push(`cv_max_rows must be a non-negative integer, got ${JSON.stringify(p.cv_max_rows)}`);
  if (typeof p.blend !== 'boolean') problems.push(`blend must be true or false, got ${JSON.stringify(p.blend)}`);
  if (!Number.isInteger(p.blend_rounds) || p.blend_rounds < 1) problems.push(`blend_rounds must be a positive integer, got ${JSON.stringify(p.blend_rounds)}`);
  if (typeof p.metric !== 'string') problems.push(`metric must be a metric's name or "auto", got ${JSON.stringify(p.metric)}`);
  if (!Number.isInteger(p.seed)) problems.push(`seed must be an integer, got ${JSON.stringify(p.seed)}`);
  if (!Number.isInteger(p.epochs) || p.epochs < 1) problems.push(`epochs must be a positive integer, got ${JSON.stringify(p.epochs)}`);
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid auto parameters: ${problems.join('; ')}`, { issues: problems });
  return p;
}
