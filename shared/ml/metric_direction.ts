/**
 * Which way a metric is better, read from its name, for putting runs side by side: errors and losses
 * lower, scores higher; counts and the chosen threshold neither (more rows is no better model).
 * A prefix (`holdout_`, `anomaly_`, `val_`) does not change the direction.
 */
export type Direction = 'higher' | 'lower' | null;

const LOWER = /(loss|logloss|rmse|mae|mse|error|inertia)$/;
const HIGHER = /(auc|accuracy|precision|recall|f1|r2|silhouette|oob_score|score)$/;

export function metricDirection(name: string): Direction {
  if (LOWER.test(name)) return 'lower';
  if (HIGHER.test(name)) return 'higher';
  return null;
}

/**
 * The indices of the best defined values (several on a tie for first); none without a direction, with
 * fewer than two values, or when every value is the same (then none is better).
 */
export function bestOf(direction: Direction, values: ReadonlyArray<number | null>): number[] {
  const defined = values.map((v, i) => [v, i] as const).filter((e): e is readonly [number, number] => typeof e[0] === 'number' && Number.isFinite(e[0]));
  if (direction === null || defined.length < 2) return [];
  const best = direction === 'higher' ? Math.max(...defined.map(([v]) => v)) : Math.min(...defined.map(([v]) => v));
  const winners = defined.filter(([v]) => v === best).map(([, i]) => i);
  return winners.length === defined.length ? [] : winners;
}
