import { MloopError } from '../../../core/errors';
import { checkParams } from '../params';

export type IsolationForestParams = {
  n_estimators: number;
  /** ψ, rows per tree; 256 is the paper's choice, large enough and still fast. */
  max_samples: number;
  seed: number;
};

export const ISOLATION_FOREST_DEFAULTS: IsolationForestParams = { n_estimators: 100, max_samples: 256, seed: 42 };

export function resolveIsolationForestParams(params: Record<string, unknown>): IsolationForestParams {
  const p = checkParams('isolation_forest', ISOLATION_FOREST_DEFAULTS, params);
  const count = (v: number) => Number.isInteger(v) && v > 0;
  if (!count(p.n_estimators) || !count(p.max_samples) || p.max_samples < 2 || !Number.isInteger(p.seed)) {
    throw new MloopError('invalid_argument', `invalid isolation_forest parameters: ${JSON.stringify(p)}`);
  }
  return p;
}
