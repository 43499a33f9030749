import type { SliceResult } from '../../ml/slice_metrics';
import type { GuardrailCheck } from './should_promote';

/**
 * The slice guardrail: a candidate better overall may still be worse for one segment of the rows (a
 * region, a channel), and that segment's people are not helped by the average. With `maxDrop` set, every
 * slice of at least `minRows` holdout rows where both models have the promotion metric may lose at most
 * `maxDrop` of it against production — in the metric's direction, and as a fraction of production's
 * value when the metric's delta is relative (RMSE). Smaller slices are left out: their numbers are noise.
 */
export interface SliceFailure {
  column: string;
  value: string;
  rows: number;
  metric: string;
  production: number;
  candidate: number;
  /** How much worse the candidate is, in the metric's direction (relative for RMSE). */
  drop: number;
}

export interface SliceGuardrailInput {
  slices: readonly SliceResult[];
  metric: { name: string; higherIsBetter: boolean; relativeDelta: boolean };
  maxDrop?: number;
  minRows?: number;
}

/** What a slice needs to be held to the guardrail when mloop.json sets max_slice_drop without min_slice_rows. */
export const DEFAULT_MIN_SLICE_ROWS = 50;

export function sliceGuardrail(input: SliceGuardrailInput): { check: GuardrailCheck; failures: SliceFailure[] } | null {
  const { slices, metric, maxDrop } = input;
  if (maxDrop === undefined) return null;
  const minRows = input.minRows ?? DEFAULT_MIN_SLICE_ROWS;
  const failures: SliceFailure[] = [];
  let held = 0;
  for (const slice of slices) {
    const candidate = slice.candidate[metric.name]?.value;
    const production = slice.production?.[metric.name]?.value;
    if (slice.rows < minRows || typeof candidate !== 'number' || typeof production !== 'number') continue;
    held++;
    const worse = metric.higherIsBetter ? production - candidate : candidate - production;
    const drop = metric.relativeDelta ? worse / Math.max(Math.abs(production), Number.EPSILON) : worse;
    if (drop > maxDrop) failures.push({ column: slice.column, value: slice.value, rows: slice.rows, metric: metric.name, production, candidate, drop });
  }
  failures.sort((a, b) => b.drop - a.drop);
  const bound = `${metric.relativeDelta ? `${maxDrop} of production's value` : maxDrop}`;
  const detail =
    failures.length > 0
      ? failures.map((f) => `slice ${f.column}=${f.value} (${f.rows} rows): ${f.metric} ${fmt(f.production)} in production, ${fmt(f.candidate)} for the candidate, a drop of ${fmt(f.drop)} > the allowed ${bound}`).join('; ')
      : `no slice of at least ${minRows} rows loses more than ${bound} of ${metric.name} (${held} slice${held === 1 ? '' : 's'} held to it)`;
  return { check: { name: 'slice', passed: failures.length === 0, detail }, failures };
}

const fmt = (v: number) => v.toFixed(4);
