import { seededRandom } from '../data/random';
import { SLICE_METRICS, weightedMeasure } from './weighted_metrics';

/**
 * Every metric of the task on each slice of the holdout (the rows sharing one value of a slice column),
 * for the candidate and, when there is one, production on the very same rows, each with a 95 % bootstrap
 * interval, and the paired interval of their difference on the promotion metric. A slice is resampled on
 * its own rows: its interval says how sure its own number is, which is what a small slice lacks.
 */
export interface SliceColumn {
  column: string;
  /** Each holdout row's value of the column, as the file spells it ('' for missing). */
  values: readonly string[];
}

export interface MetricInterval {
  value: number | null;
  ci95: [number, number] | null;
}

export interface SliceResult {
  column: string;
  value: string;
  rows: number;
  candidate: Record<string, MetricInterval>;
  production: Record<string, MetricInterval> | null;
  /** candidate − production on the promotion metric, on the same resamples of the slice's rows. */
  difference: MetricInterval | null;
}

export interface SliceInput {
  task: 'binary' | 'multiclass' | 'regression';
  /** Multiclass: K, the columns of `candidate` and `production` per row. */
  classes: number;
  y: ArrayLike<number>;
  candidate: ArrayLike<number>;
  production?: ArrayLike<number> | null;
  columns: readonly SliceColumn[];
  /** The promotion metric, whose difference gets a paired interval. */
  metric: string;
  resamples?: number;
  seed?: number;
}

/** A column of more values than this keeps its most frequent ones: a slice table is read by a person. */
export const MAX_SLICES_PER_COLUMN = 20;
export const MISSING_SLICE = '(missing)';

export function sliceMetrics(input: SliceInput): SliceResult[] {
  const { task, classes, columns } = input;
  const width = task === 'multiclass' ? classes : 1;
  const resamples = input.resamples ?? 200;
  const out: SliceResult[] = [];
  for (const { column, values } of columns) {
    const groups = new Map<string, number[]>();
    values.forEach((v, i) => {
      const key = v === '' ? MISSING_SLICE : v;
      const rows = groups.get(key);
      if (rows) rows.push(i);
      else groups.set(key, [i]);
    });
    const kept = [...groups].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_SLICES_PER_COLUMN);
    for (const [value, rows] of kept) {
      out.push(measureSlice(input, column, value, rows, width, resamples));
    }
  }
  return out;
}

/** The same measures on every holdout row at once: the overall numbers with their intervals. */
export function overallMetrics(input: Omit<SliceInput, 'columns'>): SliceResult {
  const width = input.task === 'multiclass' ? input.classes : 1;
  const rows = Array.from({ length: input.y.length }, (_, i) => i);
  return measureSlice({ ...input, columns: [] }, OVERALL, OVERALL, rows, width, input.resamples ?? 200);
}

/** The column and value of the overall result. */
export const OVERALL = 'all rows';

function gather(source: ArrayLike<number>, rows: number[], width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((row, i) => {
    for (let k = 0; k < width; k++) out[i * width + k] = source[row * width + k];
  });
  return out;
}

function measureSlice(input: SliceInput, column: string, value: string, rows: number[], width: number, resamples: number): SliceResult {
  const { task, classes, metric } = input;
  const y = Float64Array.from(rows, (row) => input.y[row]);
  const candidate = weightedMeasure(task, y, gather(input.candidate, rows, width), classes);
  const production = input.production ? weightedMeasure(task, y, gather(input.production, rows, width), classes) : null;
  const names: readonly string[] = SLICE_METRICS[task];
  const m = rows.length;
  const ones = new Float64Array(m).fill(1);
  const c0 = candidate(ones);
  const p0 = production?.(ones) ?? null;
  const cDraws = names.map(() => [] as number[]);
  const pDraws = names.map(() => [] as number[]);
  const dDraws: number[] = [];
  // a seed of its own per slice, so that adding a column does not move another slice's interval
  const random = seededRandom(hash(`${input.seed ?? 1}:${column}=${value}`));
  const weights = new Float64Array(m);
  for (let r = 0; r < resamples && m > 0; r++) {
    weights.fill(0);
    for (let i = 0; i < m; i++) weights[random.int(m)]++;
    const c = candidate(weights);
    const p = production?.(weights);
    names.forEach((name, j) => {
      if (Number.isFinite(c[name])) cDraws[j].push(c[name]);
      if (p && Number.isFinite(p[name])) pDraws[j].push(p[name]);
    });
    if (p && Number.isFinite(c[metric] - p[metric])) dDraws.push(c[metric] - p[metric]);
  }
  const table = (at: Record<string, number>, draws: number[][]) => Object.fromEntries(names.map((name, j) => [name, interval(at[name], draws[j])]));
  return {
    column,
    value,
    rows: m,
    candidate: table(c0, cDraws),
    production: p0 ? table(p0, pDraws) : null,
    difference: p0 && names.includes(metric) ? interval(c0[metric] - p0[metric], dDraws) : null,
  };
}

function interval(value: number, draws: number[]): MetricInterval {
  if (!Number.isFinite(value)) return { value: null, ci95: null };
  if (draws.length < 2) return { value, ci95: null };
  draws.sort((a, b) => a - b);
  return { value, ci95: [quantile(draws, 0.025), quantile(draws, 0.975)] };
}

/** Linear interpolation between order statistics (numpy's default), as paired_bootstrap.ts. */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** FNV-1a: a stable 32-bit seed from a slice's name. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
