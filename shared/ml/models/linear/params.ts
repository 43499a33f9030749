import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

export const PENALTIES = ['l2', 'l1', 'elasticnet', 'none'] as const;
export type Penalty = (typeof PENALTIES)[number];

/**
 * The objective is scikit-learn's Lasso/ElasticNet one for both tasks, on standardised features:
 *
 *   mean loss + alpha · (l1_ratio · |w|₁ + (1 − l1_ratio) / 2 · |w|²)
 *
 * (squared error halved for a value, log-loss for classes; the intercept is never penalised). `penalty`
 * picks l1_ratio (l2: 0, l1: 1, elasticnet: `l1_ratio`, none: alpha 0). In scikit-learn's other
 * spellings: Ridge(alpha = n · alpha), LogisticRegression(C = 1 / (n · alpha)), n the training rows.
 *
 * A type alias rather than an interface, so that it can be stored where a plain JSON record is expected.
 */
export type LinearParams = {
  penalty: Penalty;
  alpha: number;
  /** Share of the penalty on |w|₁ when penalty is elasticnet. */
  l1_ratio: number;
  /** Coordinate-descent passes (regression) or L-BFGS/OWL-QN iterations (classification). */
  max_iter: number;
  /**
   * Regression: the duality gap, relative to Σ(y − ȳ)², below which coordinate descent stops
   * (scikit-learn's rule). Classification: the largest (pseudo-)gradient entry, relative to the first and
   * times the rarest class's share of the rows (liblinear's rule, tolerance.ts).
   */
  tol: number;
};

export const LINEAR_DEFAULTS: LinearParams = { penalty: 'l2', alpha: 1e-4, l1_ratio: 0.5, max_iter: 1000, tol: 1e-4 };

/** The L1 and L2 weights of the penalty the parameters spell. */
export function penaltyWeights(p: Pick<LinearParams, 'penalty' | 'alpha' | 'l1_ratio'>): { l1: number; l2: number } {
  const ratio = { l2: 0, l1: 1, elasticnet: p.l1_ratio, none: 0 }[p.penalty];
  const alpha = p.penalty === 'none' ? 0 : p.alpha;
  return { l1: alpha * ratio, l2: alpha * (1 - ratio) };
}

/** Defaults filled in; unknown names and bad values refused, with a message naming each. */
export function resolveLinearParams(given: Record<string, unknown>): LinearParams {
  const p = checkParams('linear', LINEAR_DEFAULTS, given);
  const problems: string[] = [];
  if (!PENALTIES.includes(p.penalty)) problems.push(`penalty must be one of ${PENALTIES.join(', ')}, got ${JSON.stringify(p.penalty)}`);
  if (!(typeof p.alpha === 'number' && Number.isFinite(p.alpha) && p.alpha >= 0)) problems.push(`alpha must be a non-negative number, got ${JSON.stringify(p.alpha)}`);
  if (!(typeof p.l1_ratio === 'number' && p.l1_ratio >= 0 && p.l1_ratio <= 1)) problems.push(`l1_ratio must be in [0, 1], got ${JSON.stringify(p.l1_ratio)}`);
  if (!(Number.isInteger(p.max_iter) && p.max_iter >= 1)) problems.push(`max_iter must be a positive integer, got ${JSON.stringify(p.max_iter)}`);
  if (!(typeof p.tol === 'number' && p.tol > 0 && p.tol < 1)) problems.push(`tol must be in (0, 1), got ${JSON.stringify(p.tol)}`);
  if (problems.length > 0) throw new MloopError('invalid_argument', `invalid linear parameters: ${problems.join('; ')}`, { issues: problems });
  return p;
}
