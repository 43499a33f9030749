import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

export const SVM_LOSSES = ['squared_hinge', 'hinge'] as const;
export type SvmLoss = (typeof SVM_LOSSES)[number];

/**
 * scikit-learn's LinearSVC (liblinear) objective and defaults, on standardised features:
 *
 *   ½ |w|² + C Σ loss(y · (w·x + b)),   hinge: max(0, 1 − m), squared_hinge: max(0, 1 − m)²
 *
 * the intercept being the weight of a constant feature 1, so penalised as liblinear does it. `tol` is
 * liblinear's eps: for the primal (squared hinge), the gradient relative to the first times the rarest
 * class's share; for the dual (hinge), the spread of the projected gradient. `seed` orders the dual's rows.
 */
export type LinearSvmParams = {
  loss: SvmLoss;
  C: number;
  max_iter: number;
  tol: number;
  seed: number;
};

export const LINEAR_SVM_DEFAULTS: LinearSvmParams = { loss: 'squared_hinge', C: 1, max_iter: 1000, tol: 1e-4, seed: 42 };

export function resolveLinearSvmParams(given: Record<string, unknown>): LinearSvmParams {
  const p = checkParams('linear_svm', LINEAR_SVM_DEFAULTS, given);
  const problems: string[] = [];
  if (!SVM_LOSSES.includes(p.loss)) problems.push(`loss must be one of ${SVM_LOSSES.join(', ')}, got ${JSON.stringify(p.loss)}`);
  if (!(typeof p.C === 'number' && Number.isFinite(p.C) && p.C > 0)) problems.push(`C must be a positive number, got ${JSON.stringify(p.C)}`);
  if (!(Number.isInteger(p.max_iter) && p.max_iter >= 1)) problems.push(`max_iter must be a positive integer, got ${JSON.stringify(p.max_iter)}`);
  if (!(typeof p.tol === 'number' && p.tol > 0)) problems.push(`tol must be a positive number, got ${JSON.stringify(p.tol)}`);
  if (!Number.isInteger(p.seed)) problems.push(`seed must be an integer, got ${JSON.stringify(p.seed)}`);
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid linear_svm parameters: ${problems.join('; ')}`, { issues: problems });
  return p;
}
